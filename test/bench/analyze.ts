// Issue 4's figures: `gla analyze` on a 2000-image generated dataset with the ViT-B/32-shaped model, split by
// stage, and a re-analysis after 1% of the images change (target: ≤ 5% of the first run's wall time).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeDataset } from '../../server/src/engine/analyze';
import { repoRoot } from '../helpers/paths';
import { ensurePhotos, writePhoto } from './photos';
import { figure, note } from './report';
import { ensureVitB32Model } from './vit-b32';

export async function benchAnalyze(classes = 10, perClass = 200): Promise<void> {
  const model = ensureVitB32Model();
  const dataset = join(repoRoot, 'bench-data', 'analyze-2000-v2');
  note(`generating a ${classes * perClass}-image dataset (first run only)`);
  // Each class has its own colour palette, so classes differ in embedding space as real ones do.
  const palette = (c: number): number[] => [Math.abs(Math.sin(c + 1)), Math.abs(Math.sin(2 * c + 2)), Math.abs(Math.sin(3 * c + 3))];
  const paths: string[] = [];
  for (let c = 0; c < classes; c++) {
    paths.push(...(await ensurePhotos(perClass, join(dataset, `class_${c}`), 'img', 100_000 * (c + 1), palette(c))));
  }
  const cacheDir = mkdtempSync(join(tmpdir(), 'gla-bench-cache-'));
  const out = mkdtempSync(join(tmpdir(), 'gla-bench-runs-'));
  const context = { images: paths.length, classes, model: 'vit-b32 (random weights)' };
  try {
    note('first run (empty cache)');
    const first = await analyzeDataset({ dataset, model, cacheDir, out: join(out, 'first') });
    for (const [stage, seconds] of Object.entries(first.report.timings)) figure(`analyze.first.${stage}`, seconds, 's', context);
    // Change 1% of the images: new content under the same names.
    const changed = paths.filter((_, k) => k % 100 === 7);
    for (const [k, p] of changed.entries()) await writePhoto(p, 9_000_000 + k, palette(Number(/class_(\d+)/.exec(p)![1])));
    note(`rerun after ${changed.length} images changed`);
    const second = await analyzeDataset({ dataset, model, cacheDir, out: join(out, 'second') });
    for (const [stage, seconds] of Object.entries(second.report.timings)) figure(`analyze.rerun.${stage}`, seconds, 's', { ...context, changed: changed.length });
    figure('analyze.rerun_embeddings_computed', second.report.embeddings.computed, 'images', context);
    figure('analyze.rerun_vs_first', second.report.timings.total / first.report.timings.total, 'ratio', { ...context, target: 0.05 });
    // Put the changed images back so the next benchmark run starts from the same dataset.
    for (const p of changed) rmSync(p);
    for (let c = 0; c < classes; c++) await ensurePhotos(perClass, join(dataset, `class_${c}`), 'img', 100_000 * (c + 1), palette(c));
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
}
