import { describeError, throwIfCancelled } from '../errors';
import type { ImageEmbedder } from '../clip/inference/image-embedder';
import type { EmbeddingCache } from '../store/embedding-cache';
import type { PathIndex } from '../store/path-index';
import { EmbeddingRows } from './embedding-rows';

export interface EmbeddedImages {
  /** Paths that have an embedding, in input order; row k of `embeddings` belongs to paths[k]. */
  paths: string[];
  /** Original input index of each row. */
  indices: number[];
  embeddings: Float32Array;
  dim: number;
  failed: { path: string; error: string }[];
  /** How many rows came from the cache, and how many were computed. */
  cached: number;
  computed: number;
}

export interface EmbedImagesOptions {
  signal?: AbortSignal;
  onProgress?(done: number, total: number, cached: number): void;
}

/**
 * Every image's embedding, through the cache: content-hashed (a size, mtime, ctime and inode fast path), then only the misses go
 * to the embedder. Each computed embedding is cached as soon as its batch finishes, so a cancel or a crash
 * keeps all finished work. Identical files are embedded once.
 */
export async function embedImages(
  paths: readonly string[],
  embedder: ImageEmbedder | (() => Promise<ImageEmbedder>),
  cache: EmbeddingCache,
  index: PathIndex,
  options: EmbedImagesOptions = {},
): Promise<EmbeddedImages> {
  const { signal } = options;
  const rows = new EmbeddingRows(paths.length);
  const errors: (string | undefined)[] = new Array(paths.length);
  const hashes: string[] = new Array(paths.length);
  const missesByHash = new Map<string, number[]>();
  let cached = 0;
  for (let i = 0; i < paths.length; i++) {
    throwIfCancelled(signal);
    try {
      const key = await index.keyOf(paths[i]);
      hashes[i] = key.hash;
      const hit = await cache.get(key.hash, rows.dim || undefined);
      if (hit) {
        rows.set(i, hit);
        cached++;
      } else {
        const same = missesByHash.get(key.hash);
        if (same) same.push(i);
        else missesByHash.set(key.hash, [i]);
      }
    } catch (err) {
      errors[i] = describeError(err);
    }
    if (i % 256 === 255) options.onProgress?.(cached, paths.length, cached);
  }
  options.onProgress?.(cached, paths.length, cached);

  let computed = 0;
  if (missesByHash.size > 0) {
    const work = [...missesByHash.values()];
    const workPaths = work.map((group) => paths[group[0]]);
    const model = typeof embedder === 'function' ? await embedder() : embedder;
    try {
      await model.embed(
        workPaths,
        async (outcome) => {
          const group = work[outcome.index];
          if ('embedding' in outcome) {
            await cache.put(hashes[group[0]], outcome.embedding);
            const stored = cache.asStored(outcome.embedding);
            for (const i of group) rows.set(i, stored);
            computed += group.length;
          } else {
            for (const i of group) errors[i] = outcome.error;
          }
        },
        { signal, onProgress: (done) => options.onProgress?.(cached + done, paths.length, cached) },
      );
    } finally {
      await index.save();
    }
  } else {
    await index.save();
  }

  throwIfCancelled(signal);
  const { indices, embeddings } = rows.compact();
  const failed: { path: string; error: string }[] = [];
  for (let i = 0; i < paths.length; i++) if (!rows.has(i)) failed.push({ path: paths[i], error: errors[i] ?? 'not embedded' });
  return { paths: indices.map((i) => paths[i]), indices, embeddings, dim: rows.dim, failed, cached, computed };
}
