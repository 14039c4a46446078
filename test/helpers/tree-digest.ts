import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A digest of every path, size, mtime and byte under `dir`: equal digests mean nothing in the folder changed. */
export function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      hash.update(`${relative(dir, p)}\0${st.size}\0${st.mtimeMs}\0`);
      if (st.isDirectory()) visit(p);
      else hash.update(readFileSync(p));
    }
  };
  visit(dir);
  return hash.digest('hex');
}
