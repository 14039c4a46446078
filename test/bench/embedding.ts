// Issue 3's figures: images/s of ONNX Runtime alone and of the whole pipeline (JPEG decode, preprocess, inference)
// on the ViT-B/32-shaped model, fp32 and int8, at batch 1, 8 and 32, with the ratios measured in the same run.
import { join } from 'node:path';
import { ImageEmbedder } from '../../server/src/clip/image-embedder';
import { loadPreprocessorConfig } from '../../server/src/clip/preprocessor-config';
import { benchModelOnly, type BenchVariant } from './model-only';
import { ensurePhotos } from './photos';
import { figure, note } from './report';
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

export async function benchEmbedding(seconds = 4, photoCount = 160): Promise<void> {
  const modelDir = ensureVitB32Model();
  note(`generating ${photoCount} 500×375 JPEGs (first run only)`);
  const photos = await ensurePhotos(photoCount);
  const modelOnly: Record<string, Record<number, number>> = {};
  const endToEnd: Record<string, Record<number, number>> = {};
  for (const variant of ['fp32', 'quantized'] as const) {
    modelOnly[variant] = {};
    endToEnd[variant] = {};
    note(`model-only ${variant}`);
    const only = await benchModelOnly(modelDir, [1, 8, 32], seconds, { variant });
    for (const r of only.results) {
      modelOnly[variant][r.batch] = r.imagesPerSecond;
      figure(`embed.model_only.${variant}.batch${r.batch}`, r.imagesPerSecond, 'images/s', { threads: only.threads, provider: only.provider });
    }
    for (const batch of [1, 8, 32]) {
      note(`end-to-end ${variant} batch ${batch}`);
      const rate = await benchEndToEnd(modelDir, variant, batch, photos);
      endToEnd[variant][batch] = rate;
      figure(`embed.end_to_end.${variant}.batch${batch}`, rate, 'images/s', { images: photos.length, decode: 'JPEG 500×375' });
      figure(`embed.end_to_end_vs_model_only.${variant}.batch${batch}`, rate / modelOnly[variant][batch], 'ratio', { target: 0.9 });
    }
  }
  for (const batch of [1, 8, 32]) {
    figure(`embed.int8_vs_fp32.model_only.batch${batch}`, modelOnly.quantized[batch] / modelOnly.fp32[batch], 'ratio', { target: 1.8 });
    figure(`embed.int8_vs_fp32.end_to_end.batch${batch}`, endToEnd.quantized[batch] / endToEnd.fp32[batch], 'ratio', { target: 1.8 });
  }
}
