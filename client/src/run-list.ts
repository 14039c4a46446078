// The run folders beside a run (<workspace>/.gla/runs/<id>/), each read for comparison or listed with why it cannot
// be. Node's fs only, no vscode: a missing or malformed report.json is an entry with a reason, never a throw.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readRun, type RunEntry } from './run-comparison';

/** report.json above this is not read for a comparison (a run of 100 000 classes stays well below). */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** One run folder, read. */
export async function readRunFolder(runDir: string): Promise<RunEntry> {
  const report = join(runDir, 'report.json');
  const size = await stat(report).then((s) => (s.isFile() ? s.size : -1), () => undefined);
  if (size === undefined) return readRun(runDir, undefined);
  if (size < 0) return { runDir, reason: 'report.json is not a file' };
  if (size > MAX_REPORT_BYTES) return { runDir, reason: `report.json is too large to compare (${Math.round(size / 1024 / 1024)} MiB)` };
  const text = await readFile(report, 'utf8').catch((err: NodeJS.ErrnoException) => err);
  if (typeof text !== 'string') return { runDir, reason: `cannot read report.json (${text.code ?? text.message})` };
  const runJson = await readFile(join(runDir, 'run.json'), 'utf8').catch(() => undefined);
  // report.json names the dataset by absolute path; a hand-moved report may name it relative to the run.
  return readRun(runDir, text, runJson, (p) => resolve(runDir, p));
}

/** Every run folder in these runs folders (hidden ones, runs still being written, skipped), each read. */
export async function listRuns(runsFolders: readonly string[]): Promise<RunEntry[]> {
  const dirs = new Set<string>();
  for (const folder of runsFolders) {
    const names = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const d of names) if (d.isDirectory() && !d.name.startsWith('.')) dirs.add(resolve(folder, d.name));
  }
  return Promise.all([...dirs].sort().map(readRunFolder));
}
