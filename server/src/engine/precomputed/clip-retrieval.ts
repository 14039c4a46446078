// Embeddings computed on a cluster by clip-retrieval (`clip-retrieval inference`, Spark or slurm): its output folder
// holds img_emb/img_emb_{i}.npy (L2-normalised float16) and metadata/metadata_{i}.parquet (column image_path), row
// r of one being row r of the other. Shards are round-robin over the inputs, so rows are matched to the dataset's
// images by path, never by position. Only matched rows are read: memory grows with them, not with the shards.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors';
import type { DatasetItem } from '../../dataset/discover';
import { matchRowsToItems } from '../../dataset/row-paths';
import { isFloatDtype, readNpyHeader, readNpyRowsInto, type NpyHeader } from '../../store/npy';
import { parquetShape, readParquetStrings } from '../../store/parquet';
import type { EmbeddedImages } from '../embed-images';

const EMBEDDINGS = 'img_emb';
const METADATA = 'metadata';
const PATH_COLUMN = 'image_path';

/** Whether DIR is a clip-retrieval output folder (img_emb/ and metadata/ inside). */
export async function isClipRetrievalFolder(dir: string): Promise<boolean> {
  const isDir = (p: string) => fs.stat(p).then((s) => s.isDirectory(), () => false);
  return (await isDir(join(dir, EMBEDDINGS))) && (await isDir(join(dir, METADATA)));
}

interface Shard {
  index: number;
  npy: string;
  parquet: string;
  header: NpyHeader;
  paths: string[];
}

/** Shard indices present as `<prefix>_<i>.<ext>` (any zero padding). */
async function shardFiles(dir: string, prefix: string, ext: string): Promise<Map<number, string>> {
  const pattern = new RegExp(`^${prefix}_(\\d+)\\.${ext}$`);
  const found = new Map<number, string>();
  for (const name of await fs.readdir(dir)) {
    const m = pattern.exec(name);
    if (m) found.set(Number(m[1]), join(dir, name));
  }
  return found;
}

/** The shards in index order, each checked: a pair per index, a 2-D float npy, as many rows as its parquet. */
async function readShards(dir: string): Promise<Shard[]> {
  const npys = await shardFiles(join(dir, EMBEDDINGS), EMBEDDINGS, 'npy');
  const parquets = await shardFiles(join(dir, METADATA), METADATA, 'parquet');
  const indices = [...new Set([...npys.keys(), ...parquets.keys()])].sort((a, b) => a - b);
  if (indices.length === 0) throw new UserError(`${dir}: no ${EMBEDDINGS}/${EMBEDDINGS}_<i>.npy shards (a clip-retrieval output folder)`);
  const shards: Shard[] = [];
  let dim: number | undefined;
  for (const index of indices) {
    const npy = npys.get(index);
    const parquet = parquets.get(index);
    if (!npy) throw new UserError(`${parquet}: no ${EMBEDDINGS}/${EMBEDDINGS}_${index}.npy beside it (shard ${index})`);
    if (!parquet) throw new UserError(`${npy}: no ${METADATA}/${METADATA}_${index}.parquet beside it (shard ${index})`);
    const header = await readNpyHeader(npy);
    if (header.shape.length !== 2 || !isFloatDtype(header.dtype)) throw new UserError(`${npy}: expected a 2-D float array of embeddings, got ${header.dtype} (${header.shape.join(', ')})`);
    if (dim !== undefined && header.shape[1] !== dim) throw new UserError(`${npy}: ${header.shape[1]}-d embeddings, but earlier shards are ${dim}-d`);
    dim = header.shape[1];
    const { rows } = await parquetShape(parquet);
    if (rows !== header.shape[0]) throw new UserError(`${parquet} has ${rows} rows but ${npy} has ${header.shape[0]}: row r of one must be row r of the other`);
    shards.push({ index, npy, parquet, header, paths: await readParquetStrings(parquet, PATH_COLUMN) });
  }
  return shards;
}

/** The dataset's images' embeddings from a clip-retrieval folder; unmatched images and NaN rows are `failed`. */
export async function loadClipRetrievalEmbeddings(dir: string, items: readonly DatasetItem[], datasetRoot: string): Promise<EmbeddedImages> {
  const shards = await readShards(dir);
  const dim = shards[0].header.shape[1];
  // One path list over all shards (shard order, then row order): global row g is shard s's row g − start(s).
  const paths = shards.flatMap((s) => s.paths);
  const rowOf = matchRowsToItems(paths, datasetRoot, items);
  const firstItemOf = new Int32Array(paths.length).fill(-1);
  const matched: number[] = [];
  const failed: { path: string; error: string }[] = [];
  items.forEach((item, i) => {
    if (rowOf[i] < 0) failed.push({ path: item.path, error: `not in the clip-retrieval embeddings ${dir}` });
    else matched.push(i);
  });
  // Each matched row gets a slot; an image listed twice is read once and copied.
  const slotOf = new Int32Array(items.length).fill(-1);
  const copies: [number, number][] = [];
  matched.forEach((i, k) => {
    slotOf[i] = k;
    const g = rowOf[i];
    if (firstItemOf[g] >= 0) copies.push([slotOf[firstItemOf[g]], k]);
    else firstItemOf[g] = i;
  });
  const embeddings = new Float32Array(matched.length * dim);
  let start = 0;
  for (const shard of shards) {
    const rows = shard.header.shape[0];
    const target = new Int32Array(rows).fill(-1);
    for (let r = 0; r < rows; r++) if (firstItemOf[start + r] >= 0) target[r] = slotOf[firstItemOf[start + r]];
    if (target.some((t) => t >= 0)) await readNpyRowsInto(shard.npy, shard.header, target, embeddings);
    start += rows;
  }
  for (const [from, to] of copies) embeddings.copyWithin(to * dim, from * dim, (from + 1) * dim);
  // A row with NaN or ±Inf (a failed decode on the cluster) is that image's failure, not the run's.
  const kept: number[] = [];
  matched.forEach((i, k) => {
    const row = embeddings.subarray(k * dim, (k + 1) * dim);
    if (row.every(Number.isFinite)) kept.push(k);
    else {
      const g = rowOf[i];
      const shard = shards.find((_, s) => g < shards.slice(0, s + 1).reduce((n, x) => n + x.header.shape[0], 0))!;
      failed.push({ path: items[i].path, error: `its embedding in ${shard.npy} has NaN or infinite values` });
    }
  });
  const compact = kept.length === matched.length ? embeddings : new Float32Array(kept.length * dim);
  if (compact !== embeddings) kept.forEach((k, m) => compact.set(embeddings.subarray(k * dim, (k + 1) * dim), m * dim));
  const indices = kept.map((k) => matched[k]);
  return { paths: indices.map((i) => items[i].path), indices, embeddings: compact, dim, failed, cached: indices.length, computed: 0 };
}
