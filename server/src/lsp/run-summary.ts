// The short account of a run that gla.analyze returns and gla/runFinished carries.
import { join } from 'node:path';
import { MODEL_KINDS, type ModelKind, type Report } from '../engine/report';
import type { RunSummary } from '../protocol';

const FAVOURED_SHOWN = 3;

export function summarizeRun(runDir: string, report: Report): RunSummary {
  const byPrior = [...report.classes].sort((a, b) => b.prior - a.prior);
  const top1 = Object.fromEntries(MODEL_KINDS.map((k) => [k, report.metrics?.[k]?.top1 ?? null])) as Record<ModelKind, number | null>;
  const splits = report.dataset.splits ?? { train: 0, val: 0, test: 0 };
  return {
    runId: report.runId,
    classes: report.classes.length,
    images: (splits.train ?? 0) + (splits.val ?? 0) + (splits.test ?? 0),
    failed: report.failed.length,
    labelIssues: report.labelIssues.length,
    labelFree: report.labelFree,
    top1,
    mostFavoured: byPrior.slice(0, FAVOURED_SHOWN).map((c) => c.name),
    leastFavoured: byPrior.slice(-FAVOURED_SHOWN).reverse().map((c) => c.name),
    reportPath: join(runDir, 'report.json'),
  };
}
