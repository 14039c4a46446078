// Issue 11's figures: `gla analyze` (the bundled CLI, in its own process) on ImageNet-shaped cases of 1000 classes
// and 512-d embeddings via --embeddings, at N = 50 000 and N = 200 000: seconds per stage, wall time, peak RSS, the
// probe's test top-1 and how many planted label errors were flagged.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths';
import { writeClipRetrievalFolder } from '../../server/src/engine/precomputed/clip-retrieval-writer';
import { parseNpy } from '../../server/src/store/npy';
import { ensureImagenetShaped, type ImagenetShape } from './imagenet-shaped';
import { figure, note } from './report';
import { ensureVitB32Model } from './vit-b32';

const PEAK_RSS_HOOK = join(repoRoot, 'test', 'bench', 'peak-rss-at-exit.cjs');

/** The case's embeddings as clip-retrieval writes them: `shards` float16 shards with parquet metadata (first run only). */
async function asClipRetrieval(prefix: string, shards: number): Promise<string> {
  const dir = `${prefix}-clip-retrieval-${shards}`;
  if (existsSync(dir)) return dir;
  const manifest = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as { paths: string[] };
  const npy = parseNpy(readFileSync(`${prefix}.npy`));
  await writeClipRetrievalFolder(dir, { paths: manifest.paths, embeddings: npy.data as Float32Array, dim: npy.shape[1] }, Math.ceil(manifest.paths.length / shards));
  return dir;
}

export interface ScaleOptions {
  /** Read the embeddings from a clip-retrieval folder of this many float16 shards instead of the float32 PREFIX. */
  clipRetrievalShards?: number;
}

export async function benchScale(name: string, shape: ImagenetShape, options: ScaleOptions = {}): Promise<void> {
  const model = ensureVitB32Model();
  note(`scale.${name}: generating the case (first run only)`);
  const c = await ensureImagenetShaped(shape);
  const embeddings = options.clipRetrievalShards ? await asClipRetrieval(c.embeddings, options.clipRetrievalShards) : c.embeddings;
  const work = mkdtempSync(join(tmpdir(), 'gla-bench-scale-'));
  const context = { images: c.images, classes: c.classes, dim: c.dim, planted: c.planted.length };
  try {
    const rssFile = join(work, 'peak-rss');
    const out = join(work, 'run');
    note(`scale.${name}: gla analyze on ${c.images} images × ${c.classes} classes`);
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      ['--require', PEAK_RSS_HOOK, join(repoRoot, 'dist', 'cli.js'), 'analyze', c.dataset, '--embeddings', embeddings, '--model', model, '--out', out],
      { env: { ...process.env, GLA_CACHE_DIR: join(work, 'cache'), GLA_PEAK_RSS_FILE: rssFile }, stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 },
    );
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`gla analyze exited ${r.status ?? r.signal}`);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    for (const [stage, seconds] of Object.entries(report.timings as Record<string, number>)) figure(`scale.${name}.${stage}`, seconds, 's', context);
    figure(`scale.${name}.wall`, wall, 's', { ...context, target: c.images <= 50_000 ? 60 : undefined });
    figure(`scale.${name}.peak_rss`, Number(readFileSync(rssFile, 'utf8')), 'MiB', { ...context, target: c.images <= 50_000 ? 1536 : undefined });
    figure(`scale.${name}.gla_test_top1`, report.metrics?.gla?.top1 ?? NaN, 'fraction', context);
    figure(`scale.${name}.failed`, report.failed.length, 'images', context);
    figure(`scale.${name}.probe_test_top1`, report.metrics?.finetuned?.top1 ?? NaN, 'fraction', context);
    const flagged = new Set((report.labelIssues as { path: string }[]).map((i) => i.path));
    figure(`scale.${name}.label_issues_flagged`, flagged.size, 'images', context);
    figure(`scale.${name}.planted_found`, c.planted.filter((p) => flagged.has(p)).length, 'images', context);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
