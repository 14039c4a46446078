// The latest run of each dataset, version-stamped so a run that started earlier never replaces one that started later.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError, describeError } from '../../errors';
import type { Report } from '../../engine/report';
import { legacyRunsFolder, runsFolder } from '../../engine/run-folder';

export interface RunResult {
  runDir: string;
  report: Report;
  /** Dataset folder, absolute. */
  datasetRoot: string;
  /** Order in which runs started in this server; runs found on disk get 0. */
  stamp: number;
}

/** Reads a finished run's report.json. */
export async function loadRun(runDir: string): Promise<{ runDir: string; report: Report }> {
  runDir = resolve(runDir);
  const path = join(runDir, 'report.json');
  let report: Report;
  try {
    report = JSON.parse(await readFile(path, 'utf8')) as Report;
  } catch (err) {
    throw new UserError(`cannot read run report ${path}: ${describeError(err)}`);
  }
  if (!report || typeof report !== 'object' || !Array.isArray(report.classes) || typeof report.dataset?.root !== 'string') {
    throw new UserError(`${path} is not a GLA report (no classes or dataset root)`);
  }
  report.labelIssues ??= [];
  report.failed ??= [];
  return { runDir, report };
}

/** The dataset folder a report describes (its root may be relative to the run folder). */
export function reportDatasetRoot(runDir: string, report: Report): string {
  return resolve(runDir, report.dataset.root);
}

/**
 * The most recent finished run of a dataset in the runs folders the engine uses for each workspace folder (and for
 * none: beside the dataset), and where earlier versions put them; newest report.json first, so usually one is parsed.
 */
export async function findLatestRun(datasetRoot: string, bases: readonly string[]): Promise<{ runDir: string; report: Report } | undefined> {
  datasetRoot = resolve(datasetRoot);
  const candidates: { runDir: string; mtime: number }[] = [];
  const folders = [...bases.map(runsFolder), legacyRunsFolder(datasetRoot)];
  for (const runsDir of new Set(folders)) {
    const names = await readdir(runsDir).catch(() => [] as string[]);
    for (const name of names) {
      const runDir = join(runsDir, name);
      const info = await stat(join(runDir, 'report.json')).catch(() => undefined);
      if (info?.isFile()) candidates.push({ runDir, mtime: info.mtimeMs });
    }
  }
  candidates.sort((a, b) => b.mtime - a.mtime);
  for (const { runDir } of candidates) {
    const run = await loadRun(runDir).catch(() => undefined);
    if (run && reportDatasetRoot(run.runDir, run.report) === datasetRoot) return run;
  }
  return undefined;
}

export class RunResults {
  private readonly latest = new Map<string, RunResult>();
  private nextStamp = 1;

  /** A stamp for a run that is starting now. */
  startRun(): number {
    return this.nextStamp++;
  }

  /** Keeps the run unless a run that started later is already kept; says whether it was kept. */
  offer(result: RunResult): boolean {
    const key = resolve(result.datasetRoot);
    const current = this.latest.get(key);
    if (current && current.stamp > result.stamp) return false;
    if (current && current.stamp === result.stamp && result.stamp === 0) return false;
    this.latest.set(key, { ...result, datasetRoot: key });
    return true;
  }

  get(datasetRoot: string): RunResult | undefined {
    return this.latest.get(resolve(datasetRoot));
  }

  has(datasetRoot: string): boolean {
    return this.latest.has(resolve(datasetRoot));
  }
}
