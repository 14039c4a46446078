import { ImageEmbedder } from '../clip/inference/image-embedder';
import type { ExecutionProviderRequest } from '../clip/inference/execution-providers';
import { EmbeddingCache } from '../store/embedding-cache';
import { removeCacheLeftovers } from '../store/leftovers';
import { PathIndex } from '../store/path-index';
import { embedImages, type EmbeddedImages, type EmbedImagesOptions } from './embed-images';
import type { OpenedModel } from './open-model';

export interface EmbedWithModelOptions extends EmbedImagesOptions {
  cacheDir: string;
  provider?: ExecutionProviderRequest;
  batchSize?: number;
}

/**
 * Images → embeddings with an opened model, through its cache: the vision session starts only if some image
 * misses the cache, and is closed again whatever happens. `executionProvider` is 'cache' when nothing ran.
 */
export async function embedWithModel(paths: readonly string[], model: OpenedModel, options: EmbedWithModelOptions): Promise<EmbeddedImages & { executionProvider: string }> {
  await removeCacheLeftovers(options.cacheDir);
  const index = new PathIndex(options.cacheDir);
  await index.load();
  let embedder: ImageEmbedder | undefined;
  try {
    const embedded = await embedImages(
      paths,
      async () => (embedder = await ImageEmbedder.open({ visionPath: model.folder.visionPath, config: model.config, provider: options.provider, batchSize: options.batchSize })),
      new EmbeddingCache(options.cacheDir, model.namespace),
      index,
      options,
    );
    return { ...embedded, executionProvider: embedder?.provider ?? 'cache' };
  } finally {
    await embedder?.close();
  }
}
