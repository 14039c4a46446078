// CLIP model folders near a gla.yaml, for completing its `model:` value: a folder holding a vision tower of some
// variant, searched a few levels down from the dataset folder and one level beside it.
import { promises as fs } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { variantsIn } from './model-layout';

/** Folders never searched: they hold images, runs or packages, not models. */
const SKIP = new Set(['node_modules', '.git', '.gla', 'train', 'val', 'test']);

/**
 * Model folders under `root` (up to `depth` levels) and under its parent's direct children, as paths relative to
 * `root` with / separators ("models/tiny-clip", "../models/vit-b32"), nearest first. At most `limit` folders are
 * opened, so a huge tree costs a bounded walk.
 */
export async function nearbyModelFolders(root: string, depth = 3, limit = 400): Promise<string[]> {
  const found: string[] = [];
  let opened = 0;
  const visit = async (dir: string, left: number): Promise<void> => {
    if (opened++ >= limit) return;
    if ((await variantsIn(dir)).length > 0) {
      found.push(dir);
      return;
    }
    if (left === 0) return;
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name)) await visit(join(dir, e.name), left - 1);
  };
  await visit(root, depth);
  // One level beside the dataset: a sibling models/ folder, as a repository often keeps it.
  const parent = dirname(root);
  for (const e of await fs.readdir(parent, { withFileTypes: true }).catch(() => [])) {
    const dir = join(parent, e.name);
    if (e.isDirectory() && dir !== root && !e.name.startsWith('.')) await visit(dir, 1);
  }
  return [...new Set(found)].map((d) => relative(root, d).split('\\').join('/'));
}
