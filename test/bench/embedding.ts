// Issue 3's figures: images/s of ONNX Runtime alone and of the whole pipeline (JPEG decode, preprocess, inference)
// on the ViT-B/32-shaped model, fp32 and int8, at batch 1, 8 and 32, with the ratios measured in the same run.
import { join } from 'node:path';
import { ImageEmbedder } from '../../server/src/clip/inference/image-embedder';
import { loadPreprocessorConfig } from '../../server/src/clip/images/preprocessor-config';
import { benchLargePhotos } from './large-photos';
import { benchModelOnly, type BenchVariant } from './model-only';
import { ensurePhotos } from './photos';
import { figure, median, note } from './report';
import { ensureVitB32Model } from './vit-b32';

const FILES: Record<string, string> = { fp32: 'vision_model.onnx', quantized: 'vision_model_quantized.onnx' };

/** End-to-end images/s: decode + preprocess in worker threads overlapped with inference, warm-up excluded. */
async function benchEndToEnd(modelDir: string, variant: BenchVariant, batch: number, photos: string[]): Promise<number> {
  const config = await loadPreprocessorConfig(modelDir);
  const embedder = await ImageEmbedder.open({ visionPath: join(modelDir, 'onnx', FILES[variant]), config, batchSize: batch });
  try {
    await embedder.embed(photos.slice(0, Math.max(2 * batch, 8)), () => undefined);
    const start = performance.now();
    let count = 0;
    await embedder.embed(photos, (outcome) => {
      if ('embedding' in outcome) count++;
    });
    return count / ((performance.now() - start) / 1000);
  } finally {
    await embedder.close();
  }
}

/**
 * Model-only and end-to-end runs alternate, three rounds each, and each figure is the median of its rounds: on a
 * shared 2-core machine a burst of load then hits both sides of a ratio alike instead of one.
 */
export async function benchEmbedding(seconds = 3, photoCount = 128, rounds = 3): Promise<void> {
  const modelDir = ensureVitB32Model();
  note(`generating ${photoCount} 500×375 JPEGs (first run only)`);
  const photos = await ensurePhotos(photoCount);
  const modelOnly: Record<string, Record<number, number>> = {};
  const endToEnd: Record<string, Record<number, number>> = {};
  for (const variant of ['fp32', 'quantized'] as const) {
    modelOnly[variant] = {};
    endToEnd[variant] = {};
    for (const batch of [1, 8, 32]) {
      const only: number[] = [];
      const e2e: number[] = [];
      let threads = 0;
      for (let r = 0; r < rounds; r++) {
        note(`${variant} batch ${batch}, round ${r + 1}/${rounds}`);
        const m = await benchModelOnly(modelDir, [batch], seconds, { variant });
        threads = m.threads;
        only.push(m.results[0].imagesPerSecond);
        e2e.push(await benchEndToEnd(modelDir, variant, batch, photos));
      }
      modelOnly[variant][batch] = median(only);
      endToEnd[variant][batch] = median(e2e);
      figure(`embed.model_only.${variant}.batch${batch}`, modelOnly[variant][batch], 'images/s', { threads, rounds, median: true });
      figure(`embed.end_to_end.${variant}.batch${batch}`, endToEnd[variant][batch], 'images/s', { images: photos.length, decode: 'JPEG 500×375', rounds, median: true });
      figure(`embed.end_to_end_vs_model_only.${variant}.batch${batch}`, endToEnd[variant][batch] / modelOnly[variant][batch], 'ratio', { target: 0.9 });
    }
  }
  for (const batch of [1, 8, 32]) {
    figure(`embed.int8_vs_fp32.model_only.batch${batch}`, modelOnly.quantized[batch] / modelOnly.fp32[batch], 'ratio', { target: 1.8 });
    figure(`embed.int8_vs_fp32.end_to_end.batch${batch}`, endToEnd.quantized[batch] / endToEnd.fp32[batch], 'ratio', { target: 1.8 });
  }
  await benchLargePhotos();
}
