// Choosing runs to compare: the quick picks of "Compare with…" (the panel's run against another run of its dataset)
// and of GLA: Compare Runs… (two runs). Runs of other datasets are never offered; unreadable run folders are listed
// apart, with their reason, and picking one says why it cannot be compared.
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { runsFolder } from '../../server/src/engine/run-folder';
import { sameDataset, whatDiffers, type ReadableRun, type RunEntry } from './run-comparison';
import { listRuns } from './run-list';

/** Where runs live: beside the given run, and each workspace folder's .gla/runs/. */
export function runsFolders(besideRun?: string): string[] {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => runsFolder(f.uri.fsPath));
  return [...new Set([...(besideRun ? [dirname(besideRun)] : []), ...folders])];
}

export async function workspaceRuns(besideRun?: string): Promise<RunEntry[]> {
  return listRuns(runsFolders(besideRun));
}

interface RunItem extends vscode.QuickPickItem {
  run?: ReadableRun;
  reason?: string;
}

const percent = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);

function runItem(run: ReadableRun, base?: ReadableRun): RunItem {
  const differs = base ? whatDiffers(base, run) : [];
  return {
    label: `$(history) ${run.run.label}`,
    description: `GLA top-1 ${percent(run.top1.gla)}`,
    detail: base ? (differs.length ? `differs in: ${differs.join(', ')}` : 'same model, templates, prompts and classes') : `${run.run.runId} · ${run.run.classes} classes`,
    run,
  };
}

function unreadableItems(unreadable: readonly { runDir: string; reason: string }[]): RunItem[] {
  if (!unreadable.length) return [];
  return [
    { label: 'Cannot be compared', kind: vscode.QuickPickItemKind.Separator },
    ...unreadable.map((u) => ({ label: `$(warning) ${basename(u.runDir)}`, description: u.reason, detail: 'unreadable: not offered for comparison', reason: u.reason })),
  ];
}

/** What a pick came to: a run, or a message saying why there is none (undefined: the user dismissed it). */
export type Picked = { run: ReadableRun; message?: undefined } | { run?: undefined; message: string } | undefined;

async function pick(items: RunItem[], title: string, placeHolder: string): Promise<Picked> {
  const chosen = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true, matchOnDetail: true });
  if (!chosen) return undefined;
  if (chosen.run) return { run: chosen.run };
  return { message: `${chosen.label.replace(/^\$\([^)]*\)\s*/, '')} cannot be compared: ${chosen.reason ?? 'unreadable'}.` };
}

/** The panel's "Compare with…": another run of the base run's dataset, newest first. */
export async function pickOtherRun(base: ReadableRun, entries: readonly RunEntry[]): Promise<Picked> {
  const { runs, unreadable } = sameDataset(base, entries);
  const dataset = base.datasetRoot ? basename(base.datasetRoot) : 'this dataset';
  if (!runs.length) {
    const note = unreadable.length ? ` (${unreadable.length} run folder${unreadable.length > 1 ? 's' : ''} could not be read: ${unreadable.map((u) => `${basename(u.runDir)}: ${u.reason}`).join('; ')})` : '';
    return { message: `No other run of ${dataset} to compare with${note}. Re-run it after changing gla.yaml, then compare.` };
  }
  return pick([...runs.map((r) => runItem(r, base)), ...unreadableItems(unreadable)], `GLA: Compare ${base.run.label} with…`, `Another run of ${dataset}`);
}

/** GLA: Compare Runs…, first step: any readable run of the workspace, grouped by dataset, newest first. */
export async function pickFirstRun(entries: readonly RunEntry[]): Promise<Picked> {
  const readable = entries.flatMap((e) => (e.readable ? [e.readable] : []));
  const unreadable = entries.flatMap((e) => (e.readable ? [] : [{ runDir: e.runDir, reason: e.reason }]));
  if (!readable.length) return { message: `No run to compare in this workspace${unreadable.length ? ` (${unreadable.length} run folders could not be read)` : ''}. Analyze a dataset first.` };
  const byDataset = new Map<string, ReadableRun[]>();
  for (const r of readable) {
    const key = r.datasetRoot ?? '';
    byDataset.set(key, [...(byDataset.get(key) ?? []), r]);
  }
  const items: RunItem[] = [];
  for (const [root, runs] of [...byDataset.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    items.push({ label: root ? basename(root) : 'dataset not recorded', kind: vscode.QuickPickItemKind.Separator });
    runs.sort((x, y) => (y.finishedAt || 0) - (x.finishedAt || 0));
    items.push(...runs.map((r) => ({ ...runItem(r), detail: `${r.run.runId} · ${r.run.classes} classes · ${runs.length > 1 ? `${runs.length} runs of this dataset` : 'the only run of this dataset'}` })));
  }
  items.push(...unreadableItems(unreadable));
  return pick(items, 'GLA: Compare Runs (1 of 2)', 'The first run (the second comes next, from the same dataset)');
}

/** The report.json a run's panel is opened from. */
export function reportOf(run: ReadableRun): string {
  return join(run.run.runDir, 'report.json');
}
