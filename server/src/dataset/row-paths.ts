// Rows of a file made elsewhere (precomputed embeddings, a fine-tuned model's logits) matched to the dataset's
// images by the paths the file lists: absolute, relative to the file's folder, or a unique suffix of up to 3 parts.
import { isAbsolute, resolve, sep } from 'node:path';
import type { DatasetItem } from './discover';

const normalise = (p: string): string => p.split(sep).join('/');

/**
 * For each item, the row of `paths` that names its image, or −1. `here` is the folder relative paths are read
 * against (the listing file's); a path relative to the current folder is tried too.
 */
export function matchRowsToItems(paths: readonly string[], here: string, items: readonly DatasetItem[]): Int32Array {
  const byAbsolute = new Map<string, number>();
  const bySuffix = new Map<string, number | 'ambiguous'>();
  paths.forEach((p, r) => {
    byAbsolute.set(normalise(isAbsolute(p) ? p : resolve(here, p)), r);
    byAbsolute.set(normalise(resolve(p)), r);
    const parts = normalise(p).split('/');
    for (let k = 1; k <= Math.min(3, parts.length); k++) {
      const key = parts.slice(-k).join('/');
      bySuffix.set(key, bySuffix.has(key) ? 'ambiguous' : r);
    }
  });
  return Int32Array.from(items, (item) => {
    let r = byAbsolute.get(normalise(item.path));
    if (r === undefined) {
      const parts = item.relative.split('/');
      for (let k = Math.min(3, parts.length); k >= 1 && r === undefined; k--) {
        const hit = bySuffix.get(parts.slice(-k).join('/'));
        if (typeof hit === 'number') r = hit;
      }
    }
    return r ?? -1;
  });
}
