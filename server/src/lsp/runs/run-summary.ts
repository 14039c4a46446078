// The short account of a run that gla.analyze returns and gla/runFinished carries.
import { join } from 'node:path';
import { MODEL_KINDS, finetunedLabel, type ModelKind, type Report } from '../../engine/report';
import { flaggedAt, labelIssueThreshold } from '../../gla/label-issue-threshold';
import type { RunSummary } from '../../protocol';

const FAVOURED_SHOWN = 3;

export function summarizeRun(runDir: string, report: Report): RunSummary {
  const byPrior = [...report.classes].sort((a, b) => b.prior - a.prior);
  const top1 = Object.fromEntries(MODEL_KINDS.map((k) => [k, report.metrics?.[k]?.top1 ?? null])) as Record<ModelKind, number | null>;
  return {
    runId: report.runId,
    classes: report.classes.length,
    images: imagesFound(report),
    failed: report.failed.length,
    // Those at the run's threshold: the count beside it in the Problems view says the same.
    labelIssues: flaggedAt(report.labelIssues ?? [], labelIssueThreshold(report.labelIssueThreshold)).length,
    labelFree: report.labelFree,
    top1,
    finetuned: finetunedLabel(report.finetuned),
    mostFavoured: byPrior.slice(0, FAVOURED_SHOWN).map((c) => c.name),
    leastFavoured: byPrior.slice(-FAVOURED_SHOWN).reverse().map((c) => c.name),
    reportPath: join(runDir, 'report.json'),
  };
}

/** Images the run found: its splits' sizes, or for a label-free run (no splits) those embedded plus those skipped. */
function imagesFound(report: Report): number {
  const splits = report.dataset.splits ?? { train: 0, val: 0, test: 0 };
  const inSplits = (splits.train ?? 0) + (splits.val ?? 0) + (splits.test ?? 0);
  return report.labelFree ? (report.embeddings?.cached ?? 0) + (report.embeddings?.computed ?? 0) + report.failed.length : inSplits;
}
