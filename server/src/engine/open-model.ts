import { promises as fs } from 'node:fs';
import { resolveModel, type ModelFolder, type ResolveModelOptions } from '../clip/model-folder';
import { loadPreprocessorConfig, preprocessingVersion, type PreprocessorConfig } from '../clip/preprocessor-config';
import type { EmbeddingNamespace } from '../store/embedding-cache';

/** A model ready for embedding: its files, its preprocessing, and the cache namespace its embeddings live in. */
export interface OpenedModel {
  folder: ModelFolder;
  config: PreprocessorConfig;
  namespace: EmbeddingNamespace;
}

/** The default model when neither the command line nor gla.yaml names one. */
export const DEFAULT_MODEL = 'clip-vit-base-patch32';

/**
 * Resolves a model id or folder (downloading a known model's missing files when allowed) and keys its cache
 * namespace on the vision file's identity, so a regenerated or re-exported model never reuses stale embeddings.
 */
export async function openModel(idOrDir: string, options: ResolveModelOptions): Promise<OpenedModel> {
  const folder = await resolveModel(idOrDir, options);
  const config = await loadPreprocessorConfig(folder.dir);
  const stat = await fs.stat(folder.visionPath);
  const modelId = `${folder.id}|${folder.variant}|${stat.size}|${Math.round(stat.mtimeMs)}`;
  return { folder, config, namespace: { modelId, preprocessingVersion: preprocessingVersion(config) } };
}
