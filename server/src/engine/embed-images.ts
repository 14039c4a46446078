import { describeError, throwIfCancelled } from '../errors';
import type { EmbedOutcome, ImageEmbedder } from '../clip/inference/image-embedder';
import { PathFeed } from '../clip/inference/path-feed';
import type { EmbeddingCache } from '../store/embedding-cache';
import type { PathIndex } from '../store/path-index';
import { EmbeddingRows } from './embedding-rows';
import type { ImageErrorReason } from '../clip/images/image-error';
import { decoderVersion } from '../clip/images/libvips';

/** Failures that the bytes decide (the same file fails the same way with the same decoder). */
const DECODER_VERDICTS = new Set<ImageErrorReason>(['empty', 'not-an-image', 'unsupported', 'truncated', 'corrupt']);

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
 * Every image's embedding, through the cache: content-hashed (a size, mtime, ctime and inode fast path), then only
 * the misses go to the embedder, which starts on the first miss and decodes while the rest are still being hashed.
 * Each computed embedding is cached as soon as its batch finishes, so a cancel or a crash keeps all finished work.
 * Identical files are embedded once; files the decoder rejected before are reported from the cache's record.
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
  // Misses by content: each distinct content is one entry of the feed, and its group holds every path with it.
  const feed = new PathFeed();
  const groups: { hash: string; paths: number[]; outcome?: { stored: Float32Array } | { error: string } }[] = [];
  const groupOf = new Map<string, number>();
  let cached = 0;
  let computed = 0;
  // Paths with an answer (an embedding or an error): progress is these over all paths, and never goes back.
  let answered = 0;
  const progress = (): void => options.onProgress?.(answered, paths.length, cached);
  const fail = (i: number, error: string): void => {
    errors[i] = error;
    answered++;
  };
  const settle = (i: number, outcome: { stored: Float32Array } | { error: string }): void => {
    if ('error' in outcome) return fail(i, outcome.error);
    rows.set(i, outcome.stored);
    computed++;
    answered++;
  };
  const onOutcome = async (outcome: EmbedOutcome): Promise<void> => {
    const group = groups[outcome.index];
    if ('embedding' in outcome) {
      await cache.put(group.hash, outcome.embedding);
      group.outcome = { stored: cache.asStored(outcome.embedding) };
    } else {
      group.outcome = { error: outcome.error };
      // A file the decoder rejected is remembered; one the file system refused (or a crash) is tried again.
      if (outcome.reason && DECODER_VERDICTS.has(outcome.reason)) await cache.putFailure(group.hash, outcome.error, decoderVersion());
    }
    for (const i of group.paths) settle(i, group.outcome);
  };
  // The model opens (ONNX Runtime session, decode workers) at the first miss, and embeds the feed as it grows.
  let embedding: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  const startEmbedding = (): void => {
    embedding ??= (typeof embedder === 'function' ? embedder() : Promise.resolve(embedder))
      .then((model) => model.embed(feed, onOutcome, { signal, onProgress: progress }))
      .catch((error: unknown) => {
        failure = { error };
      });
  };
  try {
    for (let i = 0; i < paths.length; i++) {
      throwIfCancelled(signal);
      if (failure) break; // the model could not open or run: say why now, not after hashing the rest
      try {
        const key = await index.keyOf(paths[i]);
        const hit = await cache.get(key.hash, rows.dim || undefined);
        const known = hit ? undefined : await cache.getFailure(key.hash, decoderVersion);
        const same = groupOf.get(key.hash);
        if (hit) {
          rows.set(i, hit);
          cached++;
          answered++;
        } else if (known) {
          fail(i, known);
        } else if (same !== undefined) {
          const group = groups[same];
          if (group.outcome) settle(i, group.outcome);
          else group.paths.push(i);
        } else {
          groupOf.set(key.hash, groups.length);
          groups.push({ hash: key.hash, paths: [i] });
          feed.push(paths[i]);
          startEmbedding();
        }
      } catch (err) {
        fail(i, describeError(err));
      }
      if (i % 256 === 255) progress();
    }
    progress();
  } finally {
    // Whatever happened, the embedder learns that no more paths come, and settles before we return or rethrow.
    feed.end();
    await embedding;
    await index.save();
  }
  if (failure) throw failure.error;
  progress();

  throwIfCancelled(signal);
  const { indices, embeddings } = rows.compact();
  const failed: { path: string; error: string }[] = [];
  for (let i = 0; i < paths.length; i++) if (!rows.has(i)) failed.push({ path: paths[i], error: errors[i] ?? 'not embedded' });
  return { paths: indices.map((i) => paths[i]), indices, embeddings, dim: rows.dim, failed, cached, computed };
}
