// The paper's few-shot protocol over several seeds: one run per seed (the embedding cache makes every run after the
// first a cache read), and one report whose metrics are the mean over seeds with the sample standard deviation.
import { join, resolve } from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic } from '../store/atomic-write';
import { analyzeDataset, type AnalysisHooks, type AnalysisRequest, type AnalysisResult } from './analyze';
import { MODEL_KINDS, type ModelMetrics, type PerModel, type Report } from './report';
import { PendingRun, newRunId, runsFolder } from './run-folder';
import { discoverDataset } from '../dataset/discover';

const METRIC_FIELDS = ['top1', 'meanRecall', 'head', 'medium', 'tail', 'nll', 'ece'] as const;
const round = (v: number): number => Number(v.toPrecision(10));

/** Mean and sample standard deviation (n − 1) of the non-null values; null when none, sd 0 for one value. */
export function meanAndSd(values: readonly (number | null)[]): { mean: number | null; sd: number | null } {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return { mean: null, sd: null };
  const mean = present.reduce((a, b) => a + b, 0) / present.length;
  const ss = present.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, sd: present.length > 1 ? Math.sqrt(ss / (present.length - 1)) : 0 };
}

/** The report of a seeds run: seed reports' metrics as mean (top level and `mean`) and `sd`; per-class figures as means. */
export function combineSeedReports(seeds: readonly number[], reports: readonly Report[]): Report {
  const first = reports[0];
  const metrics = Object.fromEntries(
    MODEL_KINDS.map((k) => {
      const per = reports.map((r) => r.metrics[k]);
      if (per.some((m) => !m)) return [k, null];
      const mean = {} as Record<string, number | null>;
      const sd = {} as Record<string, number | null>;
      for (const field of METRIC_FIELDS) {
        const s = meanAndSd(per.map((m) => m![field]));
        mean[field] = s.mean === null ? null : round(s.mean);
        sd[field] = s.sd === null ? null : round(s.sd);
      }
      const m = mean as unknown as ModelMetrics;
      return [k, { ...m, mean: m, sd: sd as unknown as ModelMetrics }];
    }),
  ) as Report['metrics'];
  const avg = (values: (number | null)[]): number | null => {
    const m = meanAndSd(values).mean;
    return m === null ? null : round(m);
  };
  const perModel = (pick: (r: Report, k: (typeof MODEL_KINDS)[number]) => number | null): PerModel<number | null> =>
    Object.fromEntries(MODEL_KINDS.map((k) => [k, avg(reports.map((r) => pick(r, k)))])) as PerModel<number | null>;
  // q as the normalised mean of each seed's q, and the bias log(C·q) from it.
  const meanQ = first.classes.map((_, c) => reports.reduce((s, r) => s + r.classes[c].prior, 0) / reports.length);
  const total = meanQ.reduce((a, b) => a + b, 0);
  const classes = first.classes.map((cls, c) => {
    const q = meanQ[c] / total;
    return {
      ...cls,
      prior: round(q),
      logPrior: round(Math.log(q)),
      bias: round(Math.log(first.classes.length * q)),
      recall: perModel((r, k) => r.classes[c].recall[k]),
      precision: perModel((r, k) => r.classes[c].precision[k]),
    };
  });
  const timings: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.timings)) timings[k] = round((timings[k] ?? 0) + v);
  return {
    ...first,
    metrics,
    seeds: [...seeds],
    classes,
    prior: { ...first.prior, values: classes.map((c) => c.prior), fittedOn: `each seed's own split (see seed-<s>/report.json)` },
    timings,
    notes: [
      `seeds ${seeds.join(', ')}: metrics are the mean over ${seeds.length} seeds, with the sample standard deviation in metrics.<model>.sd; q and per-class figures are means; label issues are seed ${seeds[0]}'s; each seed's own run is in seed-<s>/`,
      ...first.notes,
    ],
  };
}

/** `--shots K --seeds 1,2,3`: each seed's run in <run>/seed-<s>/, and <run>/report.json combining them. */
export async function analyzeSeeds(request: AnalysisRequest, hooks: AnalysisHooks = {}): Promise<AnalysisResult> {
  const seeds = request.seeds ?? [];
  if (seeds.length === 0) throw new UserError('--seeds: give at least one seed');
  if (new Set(seeds).size !== seeds.length) throw new UserError(`--seeds ${seeds.join(',')}: each seed once`);
  if (!request.shots) throw new UserError('--seeds applies to the few-shot protocol: give --shots K too');
  const dataset = await discoverDataset(request.dataset, { shots: request.shots, seed: seeds[0], labelFree: request.labelFree, allowOutsidePaths: request.allowOutsidePaths });
  if (dataset.labelFree) throw new UserError('--seeds needs labelled images (the few-shot protocol draws them per seed)');
  const pending = await PendingRun.create(request.out ?? join(runsFolder(request.workspaceRoot ?? process.cwd()), newRunId()));
  try {
    const reports: Report[] = [];
    for (const [k, seed] of seeds.entries()) {
      hooks.onProgress?.({ stage: 'discover', message: `seed ${seed} (${k + 1} of ${seeds.length}): reading the dataset` });
      const { report } = await analyzeDataset({ ...request, seeds: undefined, seed, out: pending.path(`seed-${seed}`) }, hooks);
      reports.push(report);
    }
    const report = { ...combineSeedReports(seeds, reports), runId: resolve(pending.finalDir).split(/[\\/]/).pop()! };
    await writeFileAtomic(pending.path('report.json'), JSON.stringify(report, null, 2) + '\n');
    return { runDir: await pending.commit(), report };
  } catch (err) {
    await pending.discard();
    throw err;
  }
}
