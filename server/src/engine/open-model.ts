import { resolveModel, type ModelFolder, type ResolveModelOptions } from '../clip/models';
import { loadPreprocessorConfig, preprocessingVersion, type PreprocessorConfig } from '../clip/images/preprocessor-config';
import { defaultCacheDir } from '../store/cache-dir';
import type { EmbeddingNamespace } from '../store/embedding-cache';
import { modelKeys } from './model-keys';
import type { DecodeMode } from '../clip/images/preprocessor-config';

/** A model ready for embedding: its files, its preprocessing, and the cache namespaces its embeddings live in. */
export interface OpenedModel {
  folder: ModelFolder;
  config: PreprocessorConfig;
  /** Image embeddings' namespace: modelId is the vision tower's content hash. */
  namespace: EmbeddingNamespace;
  /** Text embeddings' model id: the text tower's and the tokenizer's content hashes (the vision tower plays no part). */
  textModelId: string;
}

/** The default model when neither the command line nor gla.yaml names one. */
export const DEFAULT_MODEL = 'clip-vit-base-patch32';

/**
 * Resolves a model id or folder (downloading a known model's missing files when allowed) and keys its cache
 * namespaces on the content of its files, so a regenerated, re-exported or edited model never reuses stale embeddings.
 */
export async function openModel(idOrDir: string, options: ResolveModelOptions & { decode?: DecodeMode }): Promise<OpenedModel> {
  const folder = await resolveModel(idOrDir, options);
  const config = { ...(await loadPreprocessorConfig(folder.dir)), ...(options.decode ? { decode: options.decode } : {}) };
  const keys = await modelKeys(folder, options.cacheDir ?? defaultCacheDir(options.env ?? process.env));
  return { folder, config, namespace: { modelId: keys.vision, preprocessingVersion: preprocessingVersion(config) }, textModelId: keys.text };
}
