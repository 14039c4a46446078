// The user's image classifier run over images through the same decode → preprocess → ONNX Runtime pipeline as
// CLIP's vision tower, with its own preprocessing, its logits cached per image content × model file × preprocessing.
import { ImageEmbedder } from '../../clip/inference/image-embedder';
import type { ExecutionProviderRequest } from '../../clip/inference/execution-providers';
import { preprocessingVersion } from '../../clip/images/preprocessor-config';
import { UserError } from '../../errors';
import { EmbeddingCache } from '../../store/embedding-cache';
import { PathIndex } from '../../store/path-index';
import { embedImages } from '../embed-images';
import type { ClassifierFolder } from './classifier-folder';
import type { DecodeMode } from '../../clip/images/preprocessor-config';

export interface ClassifierRun {
  /** paths.length × K logits in the model's column order; a row is meaningful only where `has` is set. */
  raw: Float32Array;
  has: Uint8Array;
  failed: { path: string; error: string }[];
  /** sha256 of the model's .onnx file (what keys its cache, and what the report records). */
  sha256: string;
  cached: number;
  computed: number;
  executionProvider: string;
}

export interface RunClassifierOptions {
  cacheDir: string;
  provider?: ExecutionProviderRequest;
  batchSize?: number;
  /** The run's decode mode; default shrink-on-load. */
  decode?: DecodeMode;
  signal?: AbortSignal;
  onProgress?(done: number, total: number, cached: number): void;
}

/** The model file's content hash, found again through the model index's fast path (a few stats, not a re-read). */
export async function classifierSha256(folder: ClassifierFolder, cacheDir: string): Promise<string> {
  const index = new PathIndex(cacheDir, 'model-index.json');
  await index.load();
  const { hash } = await index.keyOf(folder.modelPath);
  await index.save().catch(() => undefined);
  return hash;
}

/** Logits of every path; the classifier's session opens only if some image misses the cache. */
export async function runClassifier(folder: ClassifierFolder, paths: readonly string[], options: RunClassifierOptions): Promise<ClassifierRun> {
  const sha256 = await classifierSha256(folder, options.cacheDir);
  const width = folder.labels.length;
  const wrongWidth = (k: number) => new UserError(`${folder.modelPath}: returns ${k} logits per image but config.json's id2label names ${width} classes`);
  const index = new PathIndex(options.cacheDir);
  await index.load();
  // Logits keep float32 in the cache: fp16 would round a logit of 10 by 0.004, enough to flip near-ties.
  const config = { ...folder.config, decode: options.decode ?? folder.config.decode };
  const cache = new EmbeddingCache(options.cacheDir, { modelId: `classifier-sha256:${sha256}`, preprocessingVersion: preprocessingVersion(config) }, 'fp32');
  let session: ImageEmbedder | undefined;
  try {
    const open = async (): Promise<ImageEmbedder> => {
      session = await ImageEmbedder.open({ visionPath: folder.modelPath, config, provider: options.provider, batchSize: options.batchSize, output: 'logits' });
      if (session.dim !== undefined && session.dim !== width) throw wrongWidth(session.dim);
      return session;
    };
    const result = await embedImages(paths, open, cache, index, { signal: options.signal, onProgress: options.onProgress });
    if (result.paths.length && result.dim !== width) throw wrongWidth(result.dim);
    const raw = new Float32Array(paths.length * width);
    const has = new Uint8Array(paths.length);
    result.indices.forEach((i, k) => {
      const row = result.embeddings.subarray(k * width, (k + 1) * width);
      const bad = row.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new UserError(`${folder.modelPath}: returned ${row[bad]} for ${paths[i]} (logit ${bad}, '${folder.labels[bad]}'); logits must be finite`);
      raw.set(row, i * width);
      has[i] = 1;
    });
    return { raw, has, failed: result.failed, sha256, cached: result.cached, computed: result.computed, executionProvider: session?.provider ?? 'cache' };
  } finally {
    await (session as ImageEmbedder | undefined)?.close();
  }
}
