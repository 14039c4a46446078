// ONNX Runtime alone on a vision tower: images/s on random pixels per batch size, warm-up excluded. The ceiling that
// the end-to-end pipeline (decode + preprocess + inference) is measured against.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutionProviderSelector, type ExecutionProviderRequest } from '../../server/src/clip/inference/execution-providers';
import { createVisionSession, embedImages, releaseSession } from '../../server/src/clip/inference/onnx-session';

export type BenchVariant = 'fp32' | 'quantized' | 'fp16';

export interface ModelOnlyOptions {
  variant?: BenchVariant;
  provider?: ExecutionProviderRequest;
  threads?: number;
  spinning?: boolean;
  /** Untimed runs per batch size before timing: at least this many (default 2) ... */
  warmupRuns?: number;
  /** ... and at least this long (default 1 s), so the memory arena and caches settle. */
  warmupSeconds?: number;
}

export interface BatchFigure {
  batch: number;
  runs: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  msPerBatch: number;
}

export interface ModelOnlyFigures {
  model: string;
  file: string;
  variant: BenchVariant;
  provider: string;
  threads: number;
  imageSize: number;
  results: BatchFigure[];
}

const FILES: Record<BenchVariant, string> = {
  fp32: 'vision_model.onnx', quantized: 'vision_model_quantized.onnx', fp16: 'vision_model_fp16.onnx',
};

function imageSizeOf(modelDir: string, declared?: number): number {
  if (declared) return declared;
  const config = JSON.parse(readFileSync(join(modelDir, 'preprocessor_config.json'), 'utf8')) as {
    crop_size?: number | { height: number };
  };
  const crop = config.crop_size;
  return typeof crop === 'number' ? crop : crop?.height ?? 224;
}

/** Measures each batch size for about `seconds` (at least 3 timed runs), after untimed warm-up runs. */
export async function benchModelOnly(
  modelDir: string, batchSizes: number[] = [1, 8, 32], seconds = 5, options: ModelOnlyOptions = {},
): Promise<ModelOnlyFigures> {
  const variant = options.variant ?? 'fp32';
  const file = join(modelDir, 'onnx', FILES[variant]);
  const session = await createVisionSession(file, {
    provider: options.provider ?? 'auto', threads: options.threads, spinning: options.spinning,
    selector: new ExecutionProviderSelector((f) => console.error(`bench: ${f.message}`)),
  });
  const size = imageSizeOf(modelDir, session.imageSize?.height);
  const results: BatchFigure[] = [];
  try {
    for (const batch of batchSizes) {
      const pixels = new Float32Array(batch * 3 * size * size);
      let seed = 12345 + batch;
      for (let i = 0; i < pixels.length; i++) {
        seed = (seed * 1664525 + 1013904223) >>> 0;
        pixels[i] = (seed / 2 ** 32) * 4 - 2; // roughly the range of CLIP-normalised pixels
      }
      const warm = process.hrtime.bigint();
      for (let i = 0; i < (options.warmupRuns ?? 2) || Number(process.hrtime.bigint() - warm) / 1e9 < (options.warmupSeconds ?? 1); i++) {
        await embedImages(session, pixels, batch, size, size);
      }
      let runs = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0;
      while (runs < 3 || elapsed < seconds) {
        await embedImages(session, pixels, batch, size, size);
        runs++;
        elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      }
      results.push({
        batch, runs, images: runs * batch, seconds: elapsed,
        imagesPerSecond: (runs * batch) / elapsed, msPerBatch: (elapsed * 1000) / runs,
      });
    }
  } finally {
    await releaseSession(session);
  }
  return { model: modelDir, file, variant, provider: session.provider, threads: session.threads, imageSize: size, results };
}

export function formatModelOnly(f: ModelOnlyFigures): string[] {
  return f.results.map((r) =>
    `model-only ${f.variant.padEnd(9)} batch ${String(r.batch).padStart(3)}: ${r.imagesPerSecond.toFixed(2).padStart(7)} images/s ` +
    `(${r.msPerBatch.toFixed(0)} ms/batch, ${r.runs} runs, ${f.provider}, ${f.threads} threads)`);
}

// `node out/test/bench/model-only.js [MODEL_DIR] [SECONDS]`: fp32 and int8 on the ViT-B/32 by default.
if (require.main === module) {
  void (async () => {
    const { ensureVitB32Model } = await import('./vit-b32');
    const dir = process.argv[2] ?? ensureVitB32Model();
    const seconds = Number(process.argv[3] ?? 5);
    const figures: ModelOnlyFigures[] = [];
    for (const variant of ['fp32', 'quantized'] as const) {
      const f = await benchModelOnly(dir, [1, 8, 32], seconds, { variant });
      figures.push(f);
      for (const line of formatModelOnly(f)) console.log(line);
    }
    const [fp32, int8] = figures;
    for (let i = 0; i < fp32.results.length; i++) {
      console.log(`model-only int8/fp32 batch ${String(fp32.results[i].batch).padStart(3)}: ` +
        `${(int8.results[i].imagesPerSecond / fp32.results[i].imagesPerSecond).toFixed(2)}x`);
    }
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
