// What killed runs leave behind: hidden temporary files and folders named after the process that made them.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/** `.NAME.tmp-PID-hex` (atomic writes), `.NAME.partial-PID` and `.NAME.old-PID` (run folders). */
const LEFTOVER = /^\..+\.(?:tmp-(\d+)-[0-9a-f]+|partial-(\d+)|old-(\d+))$/;

/** Whether a process with this id is running (EPERM: it is, under another user). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a leftover's name, or undefined when the name is not one of ours. */
export function leftoverPid(name: string): number | undefined {
  const m = LEFTOVER.exec(name);
  if (!m) return undefined;
  return Number(m[1] ?? m[2] ?? m[3]);
}

/**
 * Removes the leftovers of processes that are no longer running from `dir` (and its subfolders, `depth` levels
 * down); a live process's temporaries are left alone. Returns how many were removed. Never throws.
 */
export async function removeLeftovers(dir: string, depth = 0): Promise<number> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  let removed = 0;
  for (const e of entries) {
    const pid = leftoverPid(e.name);
    const path = join(dir, e.name);
    if (pid !== undefined) {
      if (processAlive(pid) || !(e.isFile() || e.isDirectory())) continue;
      await fs.rm(path, { recursive: true, force: true }).then(() => removed++, () => undefined);
    } else if (depth > 0 && e.isDirectory() && !e.isSymbolicLink()) {
      removed += await removeLeftovers(path, depth - 1);
    }
  }
  return removed;
}

const cleaned = new Set<string>();

/** Once per process and cache: temporaries of killed runs in the embedding cache and the probe's warm starts. */
export async function removeCacheLeftovers(cacheDir: string): Promise<number> {
  if (cleaned.has(cacheDir)) return 0;
  cleaned.add(cacheDir);
  return (await removeLeftovers(join(cacheDir, 'embeddings'), 2)) + (await removeLeftovers(join(cacheDir, 'probe-warm-starts'), 1));
}
