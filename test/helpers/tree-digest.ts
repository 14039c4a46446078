import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * A digest of every path, size, mtime and byte under `dir`: equal digests mean nothing in the folder changed.
 * Links are digested as links (never followed), so a FIFO or /dev/zero behind one cannot hang it. `skip` lists paths
 * relative to `dir` left out (e.g. the opened workspace folder, when checking that nothing changed beside it).
 */
export function treeDigest(dir: string, skip: readonly string[] = []): string {
  const hash = createHash('sha256');
  const skipped = new Set(skip.map((s) => join(dir, s)));
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (skipped.has(p)) continue;
      const st = lstatSync(p);
      hash.update(`${relative(dir, p)}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0`);
      if (st.isSymbolicLink()) hash.update(readlinkSync(p));
      else if (st.isDirectory()) visit(p);
      else if (st.isFile()) hash.update(readFileSync(p));
    }
  };
  visit(dir);
  return hash.digest('hex');
}
