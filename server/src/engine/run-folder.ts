import { promises as fs } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';

/** A run's id: its finishing time, sortable and safe in file names on every platform. */
export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/:/g, '-').replace(/\.(\d{3})Z$/, '-$1Z');
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Where runs go: <workspace>/.gla/runs/. The workspace is the editor's folder or the CLI's working directory,
 * unless that lies inside the dataset: the dataset is never written, so runs then go beside it.
 */
export function runsFolder(datasetRoot: string, workspaceRoot: string): string {
  const root = resolve(datasetRoot);
  let workspace = resolve(workspaceRoot);
  if (inside(workspace, root)) workspace = dirname(root);
  return join(workspace, '.gla', 'runs');
}

/**
 * A run folder written in a hidden temporary sibling and renamed into place when complete, so readers never see
 * half a run and a cancelled or crashed run leaves nothing behind under the final name.
 */
export class PendingRun {
  private constructor(readonly finalDir: string, readonly dir: string) {}

  static async create(finalDir: string): Promise<PendingRun> {
    const parent = dirname(finalDir);
    await fs.mkdir(parent, { recursive: true });
    const dir = join(parent, `.${basename(finalDir)}.partial-${process.pid}`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir);
    return new PendingRun(finalDir, dir);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  /** Moves the finished run into place; an existing folder of that name (a rerun with --out) is replaced. */
  async commit(): Promise<string> {
    const old = `${this.finalDir}.old-${process.pid}`;
    let moved = false;
    try {
      await fs.rename(this.finalDir, old);
      moved = true;
    } catch {
      // nothing there yet
    }
    await fs.rename(this.dir, this.finalDir);
    if (moved) await fs.rm(old, { recursive: true, force: true });
    return this.finalDir;
  }

  async discard(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
