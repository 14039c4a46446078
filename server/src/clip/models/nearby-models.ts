// CLIP model folders near a gla.yaml, for completing its `model:` value and fixing it: a folder holding both towers
// of some variant, searched a few levels down from the dataset folder and one level beside it.
import { promises as fs } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { findTower, variantsIn } from './model-layout';
import { MODEL_VARIANTS } from './registry';

/** Which of CLIP's towers a model folder holds, in any variant. */
export async function towersIn(dir: string): Promise<{ vision: boolean; text: boolean }> {
  const has = async (tower: 'vision' | 'text') => (await Promise.all(MODEL_VARIANTS.map((v) => findTower(dir, v, tower)))).some(Boolean);
  return { vision: await has('vision'), text: await has('text') };
}

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
      // A folder with an image tower is a model's; only one with both towers is offered.
      if ((await towersIn(dir)).text) found.push(dir);
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
