// Issue 14's figures: 12 MP phone photos beside 500×375 ones. Decode cost per image (every pixel on one thread vs our
// preprocessing, exact and shrink-on-load), the pipeline against the model alone, and the done-means figure: the
// extra wall time of `gla embed` on 16 of them over 16 small photos, against a one-thread full decode of the 16.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ImageEmbedder } from '../../server/src/clip/inference/image-embedder';
import { preprocessImage } from '../../server/src/clip/images/preprocess';
import { loadPreprocessorConfig, type DecodeMode } from '../../server/src/clip/images/preprocessor-config';
import { generatedFixtures, repoRoot } from '../helpers/paths';
import { benchModelOnly } from './model-only';
import { ensureLargePhotos, ensurePhotos } from './photos';
import { figure, median, note } from './report';
import { ensureVitB32Model } from './vit-b32';

const SIZES = { small: '500×375', '12mp': '4032×3024' } as const;
type Size = keyof typeof SIZES;

/** Milliseconds per image of `work` over `paths`, best of `rounds` passes after one untimed (one thread: libvips concurrency 1). */
async function msPerImage(paths: string[], work: (path: string) => Promise<unknown>, rounds = 3): Promise<number> {
  for (const p of paths.slice(0, 4)) await work(p);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (const p of paths) await work(p);
    best = Math.min(best, performance.now() - t0);
  }
  return best / paths.length;
}

/** Wall seconds of `gla embed` with the tiny CLIP on `paths` and an empty cache: the decode cost, the model negligible. */
function embedWall(paths: string[], decode: DecodeMode): number {
  const work = mkdtempSync(join(tmpdir(), 'gla-bench-embed-'));
  try {
    const args = [join(repoRoot, 'dist', 'cli.js'), 'embed', '--model', join(generatedFixtures('models'), 'tiny-clip'), ...paths, '--out', join(work, 'out'), '--cache-dir', join(work, 'cache')];
    if (decode === 'exact') args.push('--exact-decode');
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`gla embed failed: ${r.stderr}`);
    return seconds;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** End-to-end images/s of the int8 ViT-B/32 pipeline on `paths`, warm-up excluded. */
async function endToEnd(modelDir: string, paths: string[], batch: number, decode: DecodeMode): Promise<number> {
  const config = { ...(await loadPreprocessorConfig(modelDir)), decode };
  const embedder = await ImageEmbedder.open({ visionPath: join(modelDir, 'onnx', 'vision_model_quantized.onnx'), config, batchSize: batch });
  try {
    await embedder.embed(paths.slice(0, batch), () => undefined);
    const t0 = performance.now();
    await embedder.embed(paths, () => undefined);
    return paths.length / ((performance.now() - t0) / 1000);
  } finally {
    await embedder.close();
  }
}

export async function benchLargePhotos(rounds = 3): Promise<void> {
  note('generating 16 4032×3024 JPEGs, one with EXIF orientation 6 (first run only)');
  const photos: Record<Size, string[]> = {
    small: (await ensurePhotos(16)).slice(0, 16),
    '12mp': await ensureLargePhotos(16, join(repoRoot, 'bench-data', 'jpegs-12mp')),
  };
  const config = await loadPreprocessorConfig(join(generatedFixtures('models'), 'tiny-clip'));

  // Per image on one thread: libvips decoding every pixel, and our whole preprocessing in each decode mode.
  const fullDecode: Record<Size, number> = { small: 0, '12mp': 0 };
  sharp.concurrency(1);
  try {
    for (const size of Object.keys(SIZES) as Size[]) {
      fullDecode[size] = await msPerImage(photos[size], (p) => sharp(p).raw().toBuffer());
      figure(`embed.decode_ms.full_one_thread.${size}`, fullDecode[size], 'ms/image', { size: SIZES[size], what: 'sharp(file).raw(), every pixel' });
      for (const decode of ['exact', 'shrink-on-load'] as const) {
        const ms = await msPerImage(photos[size], (p) => preprocessImage(p, { ...config, decode }));
        figure(`embed.preprocess_ms.${decode}.${size}`, ms, 'ms/image', { size: SIZES[size], what: 'decode + resize + crop + normalise, one thread' });
      }
    }
  } finally {
    sharp.concurrency(0);
  }

  // The done-means figure: what 16 phone photos add to `gla embed` over 16 small ones, against one thread decoding them.
  for (const decode of ['exact', 'shrink-on-load'] as const) {
    const wall: Record<Size, number[]> = { small: [], '12mp': [] };
    for (let r = 0; r < rounds; r++) for (const size of Object.keys(SIZES) as Size[]) wall[size].push(embedWall(photos[size], decode));
    const extra = median(wall['12mp']) - median(wall.small);
    figure(`embed.cli_wall.${decode}.small`, median(wall.small), 's', { images: 16, model: 'tiny-clip', rounds, median: true });
    figure(`embed.cli_wall.${decode}.12mp`, median(wall['12mp']), 's', { images: 16, model: 'tiny-clip', rounds, median: true });
    figure(`embed.cli_extra_12mp_over_full_decode.${decode}`, extra / ((16 * fullDecode['12mp']) / 1000), 'ratio', {
      extra_s: Number(extra.toFixed(3)), full_decode_16_s: Number(((16 * fullDecode['12mp']) / 1000).toFixed(3)), target: decode === 'shrink-on-load' ? 0.2 : undefined,
    });
  }

  // The int8 ViT-B/32 pipeline against the model alone, at both sizes (12 MP: each photo twice, 32 images).
  const modelDir = ensureVitB32Model();
  const batch = 8;
  for (const size of Object.keys(SIZES) as Size[]) {
    const paths = size === '12mp' ? [...photos[size], ...photos[size]] : photos[size].concat(photos[size]);
    const only: number[] = [];
    const e2e: number[] = [];
    for (let r = 0; r < rounds; r++) {
      note(`12 MP section: int8 batch ${batch}, ${SIZES[size]}, round ${r + 1}/${rounds}`);
      only.push((await benchModelOnly(modelDir, [batch], 3, { variant: 'quantized' })).results[0].imagesPerSecond);
      e2e.push(await endToEnd(modelDir, paths, batch, 'shrink-on-load'));
    }
    figure(`embed.end_to_end_vs_model_only.quantized.batch${batch}.${size}`, median(e2e) / median(only), 'ratio', {
      end_to_end: Number(median(e2e).toFixed(1)), model_only: Number(median(only).toFixed(1)), size: SIZES[size], decode: 'shrink-on-load', rounds,
    });
  }
}
