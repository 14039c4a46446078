import { promises as fs } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { UserError } from '../errors';
import { removeLeftovers } from '../store/leftovers';

/** A run's id: its finishing time, sortable and safe in file names on every platform. */
export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/:/g, '-').replace(/\.(\d{3})Z$/, '-$1Z');
}

export function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Where runs go: <workspace>/.gla/runs/, the workspace being the editor's folder or the CLI's working directory. Never
 * above it, where the user cannot see them: when the workspace is the dataset folder itself, .gla/ sits in it, a
 * hidden tool folder that dataset discovery skips (the images and class folders are still never touched).
 */
export function runsFolder(workspaceRoot: string): string {
  return join(resolve(workspaceRoot), '.gla', 'runs');
}

/** Where runs went before they always went under the workspace: beside a dataset that the workspace was inside. */
export function legacyRunsFolder(datasetRoot: string): string {
  return join(dirname(resolve(datasetRoot)), '.gla', 'runs');
}

/** The files a run folder holds: report.json and predictions.csv, run.json and its arrays, classify outputs, a seeds run's seed-<s>/. */
const RUN_FILE = /^(report\.json|predictions\.csv|run\.json|text-head\.npy|probe-weights\.npy|probe-bias\.npy|classify-[^/\\]+\.(csv|json)|seed-\d+)$/;

/**
 * Whether `dir` may become this run's folder: it does not exist, is an empty folder, or is an earlier run folder of
 * ours (report.json + run.json and nothing but run files). Anything else is refused, so --out never destroys.
 */
export async function checkRunTarget(dir: string): Promise<'new' | 'empty' | 'earlier-run'> {
  let entries: string[];
  try {
    const stat = await fs.lstat(dir);
    if (!stat.isDirectory()) throw new UserError(`--out ${dir}: a file is already there; give a new folder (nothing was written)`);
    entries = await fs.readdir(dir);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'new';
    throw new UserError(`--out ${dir}: cannot use it (${code ?? String(err)})`);
  }
  if (entries.length === 0) return 'empty';
  const foreign = entries.filter((e) => !RUN_FILE.test(e));
  // A seeds run has report.json and its seed-<s>/ runs, no run.json of its own.
  const runLike = entries.includes('run.json') || entries.some((e) => /^seed-\d+$/.test(e));
  if (entries.includes('report.json') && runLike && foreign.length === 0) return 'earlier-run';
  const example = foreign[0] ?? entries[0];
  throw new UserError(`--out ${dir}: the folder exists and is not an earlier GLA run (it holds '${example}'${entries.length > 1 ? ` and ${entries.length - 1} more` : ''}); give a new folder or an earlier run folder (nothing was written)`);
}

/**
 * A run folder written in a hidden temporary sibling and renamed into place when complete, so readers never see
 * half a run and a cancelled or crashed run leaves nothing behind under the final name.
 */
export class PendingRun {
  private constructor(readonly finalDir: string, readonly dir: string) {}

  static async create(finalDir: string): Promise<PendingRun> {
    finalDir = resolve(finalDir);
    await checkRunTarget(finalDir);
    const parent = dirname(finalDir);
    try {
      await fs.mkdir(parent, { recursive: true });
      // Runs killed before they finished leave hidden .partial/.old siblings; those of dead processes go now.
      await removeLeftovers(parent);
      const dir = join(parent, `.${basename(finalDir)}.partial-${process.pid}`);
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(dir);
      return new PendingRun(finalDir, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A dataset opened from a read-only place (a mounted share, a CD): say where runs go and how to move them.
      if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
        throw new UserError(`cannot write the run into ${parent} (${code === 'EROFS' ? 'a read-only file system' : 'permission denied'}): open a folder you can write to as the workspace (runs go to its .gla/runs/), or give an output folder (gla analyze --out DIR)`);
      }
      throw err;
    }
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  /** Moves the finished run into place; only an earlier run folder (checked again now) or an empty one is replaced. */
  async commit(): Promise<string> {
    const now = await checkRunTarget(this.finalDir);
    if (now === 'empty') await fs.rmdir(this.finalDir);
    const old = `${join(dirname(this.finalDir), `.${basename(this.finalDir)}`)}.old-${process.pid}`;
    if (now === 'earlier-run') await fs.rename(this.finalDir, old);
    await fs.rename(this.dir, this.finalDir);
    if (now === 'earlier-run') await fs.rm(old, { recursive: true, force: true });
    return this.finalDir;
  }

  async discard(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
