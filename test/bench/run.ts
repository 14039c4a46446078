// `npm run bench [-- SECTION...]`: one machine-readable JSON line per figure on stdout (see report.ts).
import { benchAnalyze } from './analyze';
import { benchEmbedding } from './embedding';
import { benchLargePhotos } from './large-photos';
import { benchPrior } from './prior';
import { benchProbeManyClasses } from './probe-many-classes';
import { benchPromptLab } from './prompt-lab';
import { figure, note } from './report';
import { benchScale } from './scale';

/** Milliseconds from spawning `node dist/cli.js --help` to its first byte of output, median of 9. */
async function benchCliStart(): Promise<void> {
  const { spawn } = await import('node:child_process');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../helpers/paths');
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), '--help']);
      child.stdout.once('data', () => resolve(performance.now() - t0));
      child.once('error', reject);
    });
  const times: number[] = [];
  for (let i = 0; i < 9; i++) times.push(await once());
  times.sort((a, b) => a - b);
  figure('cli.help_first_output', times[4], 'ms', { runs: 9, target: 200 });
}

const sections: Record<string, () => Promise<void>> = {
  cli: () => benchCliStart(),
  prior: () => benchPrior(),
  embed: () => benchEmbedding(),
  // The 12 MP part of `embed` alone (issue 14).
  photos: () => benchLargePhotos(),
  analyze: () => benchAnalyze(),
  // Issue 16: ms from a prompt edit in gla.yaml to its CodeLens figures, on the sample.
  'prompt-lab': () => benchPromptLab(),
  // Issue 9: 2 000 classes × 1 image (about 20 s), then 10 000 × 1 (about 5 minutes on 2 cores; GLA_BENCH_SKIP_SLOW=1 skips it).
  probe: async () => {
    await benchProbeManyClasses(2000, 1, 32);
    if (process.env.GLA_BENCH_SKIP_SLOW) note('probe: GLA_BENCH_SKIP_SLOW is set, skipping 10 000 classes × 1 image');
    else await benchProbeManyClasses(10000, 1, 32);
  },
  // Issue 11: ImageNet-shaped 50 000 × 1000 × 512 (target ≤ 60 s, ≤ 1.5 GB), then 200 000 to show linear scaling.
  scale: async () => {
    await benchScale('50k', { perClass: { train: 20, val: 5, test: 25 } });
    if (process.env.GLA_BENCH_SKIP_SLOW) note('scale: GLA_BENCH_SKIP_SLOW is set, skipping N = 200 000');
    else await benchScale('200k', { perClass: { train: 80, val: 20, test: 100 }, planted: 400 });
  },
  // Issue 13: the same 50 000 × 1000 case read from a clip-retrieval folder (3 float16 shards + parquet metadata).
  'clip-retrieval': async () => {
    await benchScale('50k', { perClass: { train: 20, val: 5, test: 25 } });
    await benchScale('50k-clip-retrieval', { perClass: { train: 20, val: 5, test: 25 } }, { clipRetrievalShards: 3 });
  },
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !(w in sections));
  if (unknown.length) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; choose from ${Object.keys(sections).join(', ')}`);
  for (const [name, run] of Object.entries(sections)) {
    if (wanted.length && !wanted.includes(name)) continue;
    note(`section ${name}`);
    await run();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
