// The labelled half of a run, stage by stage: fit (steps 1, 2, 4, 6), ensemble and score (steps 3, 5, 9), label
// issues (step 8). Plain data in, plain data out; the fit context is built once, before any fit runs.
import { createHash } from 'node:crypto';
import { throwIfCancelled } from '../errors';
import { GemmKernels, onnxProbeAlgebra } from '../gemm/gemm-kernels';
import { debiasedLogits } from '../gla/ensemble';
import { MIN_LABEL_ISSUE_EVIDENCE, classesBelowEvidence, findLabelIssues, type LabelIssueCandidate } from '../gla/label-issues';
import { takeLabels, takeRows, type Matrix } from '../gla/matrix';
import { probeLogits } from '../gla/probe/probe';
import { softmaxRows } from '../gla/softmax';
import { ProbeWarmStartStore } from '../store/probe-warm-starts';
import type { AnalysisContext } from './analysis-context';
import { crossFittedProbeLogits, fitPrior, fitProbe, glaFor, type FittedModels, type LabelledData } from './fit-models';
import type { Scored } from './report-builder';
import type { PerModel } from './report';
import type { ZeroShotResult } from './embedding-stages';

/** Images × classes × dims above which the probe's products go to ONNX Runtime (below, JavaScript is as fast and exact). */
const GEMM_THRESHOLD = 1 << 20;

/** Digest of everything the probe fits depend on: features, labels, splits and the zero-shot warm start. */
function dataFingerprint(data: Pick<LabelledData, 'features' | 'labels' | 'train' | 'val' | 'test' | 'initWeights'>): string {
  const hash = createHash('sha256');
  for (const a of [data.features.data, data.labels, Int32Array.from(data.train), Int32Array.from(data.val), Int32Array.from(data.test), data.initWeights]) {
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    hash.update('|');
  }
  return hash.digest('hex');
}

export interface Fitted {
  data: LabelledData;
  models: FittedModels;
  /** Out-of-sample probe logits of every labelled image (k-fold cross-fitting). */
  crossFitted: Matrix;
}

/** Steps 1, 2, 4, 6: q and T, the probe with λ on val, T_ft, and the cross-fitted probe. */
export async function fitStage(ctx: AnalysisContext, zs: ZeroShotResult): Promise<Fitted> {
  const { request, dataset, timings, progress } = ctx;
  const { signal } = ctx.hooks;
  const { items, features, zeroShot, head, model } = zs;
  const names = dataset.classes.map((c) => c.name);
  const labels = Int32Array.from(items, (i) => i.label);
  const split = (s: string): number[] => items.map((item, r) => (item.split === s ? r : -1)).filter((r) => r >= 0);
  const base = {
    features,
    zeroShot,
    labels,
    train: split('train'),
    val: split('val'),
    test: split('test'),
    initWeights: Float64Array.from(head.data, (v) => v * model.folder.logitScale),
  };
  progress('prior', 'estimating the pre-training prior q and the temperature');
  const fittedPrior = fitPrior(base, request.temperatureRule);
  timings.lap('prior');
  throwIfCancelled(signal);

  progress('probe', 'fitting the linear probe (λ on val)');
  // Large problems run the probe's matrix products on ONNX Runtime's GEMM; small ones stay exact in JavaScript.
  const kernels = items.length * names.length * features.cols >= GEMM_THRESHOLD ? await GemmKernels.create() : undefined;
  // Re-analysis starts every probe fit from the previous run's solution for this dataset and model.
  const warmStarts = new ProbeWarmStartStore(request.cacheDir, { datasetRoot: dataset.root, modelId: model.namespace.modelId, classes: names, dim: features.cols });
  const data: LabelledData = {
    ...base,
    algebra: kernels ? onnxProbeAlgebra(kernels) : undefined,
    previous: await warmStarts.load(names.length, features.cols),
    fingerprint: dataFingerprint(base),
  };
  const all = items.map((_, r) => r);
  // λ k of K, fold f of F and L-BFGS iterations, at most every 100 ms (and whenever a fit completes); the wait for
  // one macrotask there lets a cancel through even while the probe's products run in JavaScript.
  let lastProbeReport = { at: -Infinity, done: -1 };
  const onProgress = async (done: number, total: number, message: string): Promise<void> => {
    const now = performance.now();
    if (done === lastProbeReport.done && now - lastProbeReport.at < 100) return;
    lastProbeReport = { at: now, done };
    progress('probe', message, done, total);
    await new Promise((resolve) => setImmediate(resolve));
  };
  try {
    const models = await fitProbe(data, fittedPrior, { onProgress, signal });
    timings.lap('probe');
    progress('probe', 'cross-fitting the probe for out-of-sample predictions');
    const folds = await crossFittedProbeLogits(data, models, all, undefined, undefined, { onProgress, signal });
    if (folds.abstained) models.notes.push(`cross-fitting: ${folds.abstained} image(s) are the only one of their class outside their fold, so the probe abstains on them out of sample (GLA there is debiased zero-shot)`);
    await warmStarts.save({ fingerprint: data.fingerprint!, byLambda: models.solutions, folds: folds.folds }, names.length, features.cols);
    return { data, models, crossFitted: folds.logits };
  } finally {
    await kernels?.release();
  }
}

export interface Ensembled {
  debiased: Matrix;
  /** The probe's logits: its main fit on test rows, the cross-fitted ones elsewhere. */
  finetuned: Matrix;
  gla: Matrix;
  scored: Scored;
}

/** Steps 3, 5, 9: debiased zero-shot, GLA, and the four models scored on test (else cross-validated). */
export function ensembleStage(ctx: AnalysisContext, fitted: Fitted): Ensembled {
  const { data, models, crossFitted } = fitted;
  const classes = ctx.dataset.classes.length;
  const all = Array.from(data.labels, (_, r) => r);
  // Only the test rows take the main probe's logits (an N × C matrix less at 10 000 classes).
  const mainProbe = probeLogits(models.probe, takeRows(data.features, data.test));
  const finetuned: Matrix = data.test.length ? { data: Float64Array.from(crossFitted.data), rows: all.length, cols: classes } : crossFitted;
  data.test.forEach((r, m) => finetuned.data.set(mainProbe.data.subarray(m * classes, (m + 1) * classes), r * classes));
  const debiased = debiasedLogits(data.zeroShot, models.prior.logPrior, models.prior.temperature);
  const gla = glaFor(models, data.zeroShot, finetuned);
  ctx.timings.lap('crossFit');
  throwIfCancelled(ctx.hooks.signal);
  const evalRows = data.test.length ? data.test : all;
  const scored: Scored = {
    on: data.test.length ? 'test' : 'cross-validated (no test split)',
    labels: takeLabels(data.labels, evalRows),
    logits: {
      zeroShot: takeRows(data.zeroShot, evalRows),
      debiased: takeRows(debiased, evalRows),
      finetuned: takeRows(finetuned, evalRows),
      gla: takeRows(gla, evalRows),
    } satisfies PerModel<Matrix>,
  };
  return { debiased, finetuned, gla, scored };
}

/** Step 8: confident learning on out-of-sample GLA probabilities, from the cross-fitted probe. */
export function labelIssueStage(ctx: AnalysisContext, fitted: Fitted): { issues: LabelIssueCandidate[]; notes: string[] } {
  const { data, models, crossFitted } = fitted;
  const names = ctx.dataset.classes.map((c) => c.name);
  ctx.progress('labelIssues', 'looking for mislabelled images');
  const glaCrossFitted = glaFor(models, data.zeroShot, crossFitted);
  const probabilities = { data: softmaxRows(glaCrossFitted.data, glaCrossFitted.rows, glaCrossFitted.cols), rows: glaCrossFitted.rows, cols: glaCrossFitted.cols };
  const issues = findLabelIssues(probabilities, data.labels, MIN_LABEL_ISSUE_EVIDENCE);
  const notes: string[] = [];
  const thin = classesBelowEvidence(data.labels, names.length, MIN_LABEL_ISSUE_EVIDENCE);
  if (thin.length) {
    const sample = thin.slice(0, 3).map((c) => `'${names[c]}'`).join(', ') + (thin.length > 3 ? ', …' : '');
    notes.push(
      thin.length === names.length
        ? `label issues: no image was checked, because every class has fewer than ${MIN_LABEL_ISSUE_EVIDENCE} labelled images (too little out-of-sample evidence)`
        : `label issues: ${thin.length} class(es) with fewer than ${MIN_LABEL_ISSUE_EVIDENCE} labelled images (${sample}) were not checked and are never suggested`,
    );
  }
  ctx.timings.lap('labelIssues');
  return { issues, notes };
}
