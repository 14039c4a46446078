// Our embeddings in clip-retrieval's output layout, so they can feed its index and back end, or merge with a split
// job: img_emb/img_emb_{i}.npy (L2-normalised float16) and metadata/metadata_{i}.parquet (image_path), written into a
// hidden temporary folder and renamed into place when whole.
import { promises as fs } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../errors';
import { writeNpy } from '../../store/npy';
import { writeParquetStrings } from '../../store/parquet';

/** clip-retrieval's default write_batch_size: rows per shard. */
export const DEFAULT_SHARD_ROWS = 1_000_000;

export interface ClipRetrievalOutput {
  /** Absolute image paths, one per row. */
  paths: readonly string[];
  /** Raw embeddings, rows × dim (normalised here). */
  embeddings: Float32Array;
  dim: number;
}

/** Writes `out` as a clip-retrieval folder of ⌈rows / shardRows⌉ shards; an existing `out` is refused. */
export async function writeClipRetrievalFolder(out: string, data: ClipRetrievalOutput, shardRows = DEFAULT_SHARD_ROWS): Promise<string[]> {
  const final = resolve(out);
  if (await fs.stat(final).then(() => true, () => false)) throw new UserError(`--out ${out}: already exists; give a new folder (nothing was written)`);
  const tmp = join(dirname(final), `.${basename(final)}.partial-${process.pid}`);
  await fs.rm(tmp, { recursive: true, force: true });
  await fs.mkdir(join(tmp, 'img_emb'), { recursive: true });
  await fs.mkdir(join(tmp, 'metadata'));
  const { paths, embeddings, dim } = data;
  const shards = Math.max(1, Math.ceil(paths.length / shardRows));
  const digits = String(shards).length;
  const written: string[] = [];
  try {
    for (let s = 0; s < shards; s++) {
      const start = s * shardRows;
      const end = Math.min(paths.length, start + shardRows);
      const rows = new Float32Array((end - start) * dim);
      for (let r = start; r < end; r++) {
        const row = embeddings.subarray(r * dim, (r + 1) * dim);
        let norm = 0;
        for (const v of row) norm += v * v;
        const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
        for (let k = 0; k < dim; k++) rows[(r - start) * dim + k] = row[k] * scale;
      }
      const index = String(s).padStart(digits, '0');
      await writeNpy(join(tmp, 'img_emb', `img_emb_${index}.npy`), { dtype: 'float16', shape: [end - start, dim], data: rows });
      await writeParquetStrings(join(tmp, 'metadata', `metadata_${index}.parquet`), { image_path: paths.slice(start, end) as string[] });
      written.push(`img_emb/img_emb_${index}.npy`, `metadata/metadata_${index}.parquet`);
    }
    await fs.rename(tmp, final);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return written;
}
