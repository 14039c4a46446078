// The export's output folder: refused when something is there already (an empty folder excepted), written as a
// hidden sibling and renamed into place when whole, so a failed or cancelled export leaves nothing under the name.
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../errors';
import { removeLeftovers } from '../../store/leftovers';

export class ExportTarget {
  private constructor(readonly finalDir: string, readonly dir: string) {}

  static async create(out: string): Promise<ExportTarget> {
    const finalDir = resolve(out);
    await ExportTarget.check(finalDir);
    const parent = dirname(finalDir);
    await fs.mkdir(parent, { recursive: true });
    await removeLeftovers(parent);
    const dir = join(parent, `.${basename(finalDir)}.partial-${process.pid}`);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(join(dir, 'onnx'), { recursive: true });
    return new ExportTarget(finalDir, dir);
  }

  private static async check(finalDir: string): Promise<void> {
    const entries = await fs.readdir(finalDir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      if (err.code === 'ENOTDIR') throw new UserError(`--out ${finalDir}: a file is already there; give a new folder (nothing was written)`);
      throw new UserError(`--out ${finalDir}: cannot use it (${err.code ?? String(err)})`);
    });
    if (entries.length) throw new UserError(`--out ${finalDir}: the folder exists (it holds '${entries[0]}'${entries.length > 1 ? ` and ${entries.length - 1} more` : ''}); give a new folder (nothing was written)`);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  async commit(): Promise<string> {
    await ExportTarget.check(this.finalDir);
    await fs.rmdir(this.finalDir).catch(() => undefined);
    await fs.rename(this.dir, this.finalDir);
    return this.finalDir;
  }

  async discard(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
