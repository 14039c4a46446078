// A batch of "Move to suggested class": where each suspected mislabelled image goes, which targets are taken, and a
// free name for each taken one ("Keep Both"). No vscode import; the panel's host applies it as one WorkspaceEdit.
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { datasetFile } from './dataset-file';
import { suggestedPath } from './label-fix';

export interface PlannedMove {
  /** As report.json names it: relative to the dataset root. */
  path: string;
  /** Dataset-relative target. */
  target: string;
  from: string;
  to: string;
  /** Something already sits at `to`. */
  taken: boolean;
}

export interface MovePlan {
  moves: PlannedMove[];
  /** Images that cannot be moved (outside the dataset, not in a folder named after the given class), with why. */
  refused: { path: string; why: string }[];
}

/** Plans the moves for `issues`; `exists` is asked of each target (and of nothing else). */
export function planMoves(datasetRoot: string, issues: readonly { path: string; given: string; other: string }[], exists: (file: string) => boolean): MovePlan {
  const plan: MovePlan = { moves: [], refused: [] };
  const claimed = new Set<string>();
  for (const issue of issues) {
    const target = suggestedPath(issue.path, issue.given, issue.other);
    const from = datasetFile(datasetRoot, issue.path);
    const to = target ? datasetFile(datasetRoot, target) : undefined;
    if (!target || !from || !to) {
      plan.refused.push({ path: issue.path, why: `it does not sit in a folder named '${issue.given}' inside the dataset` });
      continue;
    }
    // Two images of one batch with the same name bound for one folder: the second counts as taken too.
    plan.moves.push({ path: issue.path, target, from, to, taken: exists(to) || claimed.has(to) });
    claimed.add(to);
  }
  return plan;
}

/** `x.png` → `x-2.png`, `x-3.png`, … : the first name in the same folder that neither exists nor is claimed. */
export function freeName(file: string, exists: (file: string) => boolean, claimed: ReadonlySet<string> = new Set()): string {
  const ext = extname(file);
  const stem = basename(file, ext);
  for (let k = 2; ; k++) {
    const candidate = join(dirname(file), `${stem}-${k}${ext}`);
    if (!exists(candidate) && !claimed.has(candidate)) return candidate;
  }
}

/** "Keep Both": each taken target renamed to a free name; the rest as planned. */
export function keepingBoth(moves: readonly PlannedMove[], exists: (file: string) => boolean, datasetRoot: string): PlannedMove[] {
  const claimed = new Set(moves.filter((m) => !m.taken).map((m) => m.to));
  return moves.map((m) => {
    if (!m.taken) return m;
    const to = freeName(m.to, exists, claimed);
    claimed.add(to);
    const target = relative(resolve(datasetRoot), to).split(sep).join('/');
    return { ...m, to, target, taken: false };
  });
}

/**
 * "Overwrite": each image replaces the one on disk at its target, but never another image of the same batch (that
 * one gets a free name, as with Keep Both), so nothing the batch moves is lost.
 */
export function overwriting(moves: readonly PlannedMove[], exists: (file: string) => boolean, datasetRoot: string): PlannedMove[] {
  // Only the first of the batch bound for a name on disk replaces it; a later one would replace the first.
  const onDisk = moves.map((m, i) => m.taken && exists(m.to) && moves.findIndex((o) => o.to === m.to) === i);
  const renamed = keepingBoth(moves.map((m, i) => ({ ...m, taken: m.taken && !onDisk[i] })), exists, datasetRoot);
  return renamed.map((m, i) => ({ ...m, taken: onDisk[i] && m.to === moves[i].to }));
}
