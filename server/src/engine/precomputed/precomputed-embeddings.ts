import { promises as fs } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { matchRowsToItems } from '../../dataset/row-paths';
import { UserError } from '../../errors';
import { isFloatDtype, readNpyHeader, readNpyRowsInto } from '../../store/npy';
import type { DatasetItem } from '../../dataset/discover';
import type { EmbeddedImages } from '../embed-images';

interface PrecomputedManifest {
  model?: string;
  dim?: number;
  paths: string[];
  failed?: { path: string; error: string }[];
}

/**
 * Embeddings computed elsewhere (`gla embed`, or a Spark/Ray clip-retrieval job): PREFIX.npy (N × D) and
 * PREFIX.json {model, dim, paths[]}. Rows are matched to the dataset's images by absolute path, then by their
 * path relative to the dataset root, then by a unique path suffix; unmatched images are reported as failed.
 */
export async function loadPrecomputedEmbeddings(prefix: string, items: readonly DatasetItem[]): Promise<EmbeddedImages & { model?: string }> {
  const base = prefix.replace(/\.(npy|json)$/, '');
  let manifest: PrecomputedManifest;
  try {
    manifest = JSON.parse(await fs.readFile(`${base}.json`, 'utf8'));
  } catch (err) {
    throw new UserError(`${base}.json: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not readable JSON (${String(err).split('\n')[0]})`}`);
  }
  if (!Array.isArray(manifest.paths) || !manifest.paths.every((p) => typeof p === 'string')) {
    throw new UserError(`${base}.json: expected {"paths": [...]} listing the image of each row`);
  }
  // Only the header now: the rows are streamed into the run's own matrix below, so the file is never held whole.
  const header = await readNpyHeader(`${base}.npy`);
  if (header.shape.length !== 2 || !isFloatDtype(header.dtype)) {
    throw new UserError(`${base}.npy: expected a 2-D float array of embeddings, got ${header.dtype} (${header.shape.join(', ')})`);
  }
  const [rows, dim] = header.shape;
  if (rows !== manifest.paths.length) throw new UserError(`${base}.npy has ${rows} rows but ${base}.json lists ${manifest.paths.length} paths`);
  const rowOf = matchRowsToItems(manifest.paths, dirname(resolve(base)), items);
  const found: number[] = [];
  const indices: number[] = [];
  const failed: { path: string; error: string }[] = [];
  items.forEach((item, i) => {
    if (rowOf[i] < 0) failed.push({ path: item.path, error: `not in the precomputed embeddings ${base}.json` });
    else {
      found.push(rowOf[i]);
      indices.push(i);
    }
  });
  const embeddings = new Float32Array(found.length * dim);
  const target = new Int32Array(rows).fill(-1);
  // Two images may match one row: the file is read into the first, the others copy it.
  const copies: [number, number][] = [];
  found.forEach((r, k) => (target[r] >= 0 ? copies.push([target[r], k]) : (target[r] = k)));
  await readNpyRowsInto(`${base}.npy`, header, target, embeddings);
  for (const [from, to] of copies) embeddings.copyWithin(to * dim, from * dim, (from + 1) * dim);
  return { paths: indices.map((i) => items[i].path), indices, embeddings, dim, failed, cached: found.length, computed: 0, model: manifest.model };
}
