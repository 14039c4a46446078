// The labelled half of a run, stage by stage: fit (steps 1, 2, 4, 6), ensemble and score (steps 3, 5, 9), label
// issues (step 8). Plain data in, plain data out; the fit context is built once, before any fit runs.
import { createHash } from 'node:crypto';
import { throwIfCancelled } from '../errors';
import { ProbeObjectiveKernel } from '../gemm/probe-objective';
import { ConfidentLearning, MIN_LABEL_ISSUE_EVIDENCE, classesBelowEvidence, type LabelIssueCandidate } from '../gla/label-issues';
import { argmaxRow, takeLabels, takeRows, type Matrix } from '../gla/matrix';
import type { DatasetItem } from '../dataset/discover';
import { EvaluationAccumulator } from '../gla/metrics';
import { logSumExpRow, softmaxRow } from '../gla/softmax';
import { ProbeWarmStartStore } from '../store/probe-warm-starts';
import type { AnalysisContext } from './analysis-context';
import { blocksOf, crossFitProbe, fitPrior, fitProbe, outOfSampleRows, zeroShotRows, type CrossFit, type FittedModels, type FittedPrior, type LabelledData } from './fit-models';
import { calibrateFinetuned } from './finetuned/calibrate-finetuned';
import { finetunedStage, type FinetunedLogits } from './finetuned/finetuned-stage';
import type { Scored } from './report-builder';
import { MODEL_KINDS, type FinetunedSource, type ModelKind, type PerModel } from './report';
import { GEMM_THRESHOLD, type ZeroShotResult } from './embedding-stages';


/** Digest of everything the probe fits depend on: features, labels, splits and the zero-shot warm start. */
function dataFingerprint(data: Pick<LabelledData, 'features' | 'labels' | 'train' | 'val' | 'test' | 'initWeights'>): string {
  const hash = createHash('sha256');
  for (const a of [data.features.data, data.labels, Int32Array.from(data.train), Int32Array.from(data.val), Int32Array.from(data.test), data.initWeights]) {
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    hash.update('|');
  }
  return hash.digest('hex');
}

/** Where each labelled row's fine-tuned logits z_ft come from, with the temperature and p_s that go with them. */
export interface FinetunedFit {
  source: FinetunedSource;
  temperature: number;
  /** log p_s, the label distribution the fine-tuned model absorbed (step 5). */
  logTrainPrior: Float64Array;
  /** z_ft of some rows: out of sample for the probe (cross-fitted on train), as given for the user's model. */
  rows(block: readonly number[]): Promise<Matrix>;
  /** 1 where a row has z_ft; absent when every row has. Rows without are left out of the fine-tuned, ensemble and GLA columns. */
  has?: Uint8Array;
}

export interface Fitted {
  data: LabelledData;
  prior: FittedPrior;
  finetuned: FinetunedFit;
  /** The run's own linear probe, when it is the fine-tuned model: its fit and its cross-fitting. */
  probe?: { models: FittedModels; cross: CrossFit };
  /** The user's fine-tuned model, when they brought one. */
  user?: FinetunedLogits;
  notes: string[];
}

/** Steps 1, 2, 4, 6: q and T, then the fine-tuned model: the user's (T_ft on val), or the probe with λ on val, T_ft and its cross-fitting. */
export async function fitStage(ctx: AnalysisContext, zs: ZeroShotResult): Promise<Fitted> {
  const { request, dataset, timings, progress } = ctx;
  const { signal } = ctx.hooks;
  const { items, features } = zs;
  const labels = Int32Array.from(items, (i) => i.label);
  const split = (s: string): number[] => items.map((item, r) => (item.split === s ? r : -1)).filter((r) => r >= 0);
  const base: LabelledData = {
    features,
    labels,
    train: split('train'),
    val: split('val'),
    test: split('test'),
    initWeights: zs.scaledHead,
    linear: zs.linear,
  };
  progress('prior', 'estimating the pre-training prior q and the temperature');
  const prior = await fitPrior(base, request.temperatureRule);
  timings.lap('prior');
  throwIfCancelled(signal);
  const userModel = request.finetuned ?? dataset.finetuned;
  return userModel ? fitUserModel(ctx, base, prior, items, userModel) : fitProbeStage(ctx, zs, base, prior);
}

/** Step 4 with the user's model: its logits for every image, T_ft on val, p_s from train counts or --train-prior. */
async function fitUserModel(ctx: AnalysisContext, data: LabelledData, prior: FittedPrior, items: DatasetItem[], path: string): Promise<Fitted> {
  const user = await finetunedStage(ctx, items, path);
  const calibrated = calibrateFinetuned(data, user, ctx.dataset.classes, ctx.request.trainPrior);
  ctx.timings.lap('finetuned');
  return {
    data,
    prior,
    user,
    finetuned: {
      source: user.source,
      temperature: calibrated.temperature,
      logTrainPrior: calibrated.logTrainPrior,
      rows: async (block) => takeRows(user.logits, block),
      has: user.missing ? user.has : undefined,
    },
    notes: [
      ...prior.notes,
      ...user.notes,
      ...calibrated.notes,
      `label issues come from GLA with ${user.source.name}'s logits as given; on images that model was trained on they are in sample, so fewer are flagged there`,
    ],
  };
}

/** Step 4 with the run's own linear probe (λ on val, T_ft, p_s) and step 8's cross-fitting. */
async function fitProbeStage(ctx: AnalysisContext, zs: ZeroShotResult, base: LabelledData, fittedPrior: FittedPrior): Promise<Fitted> {
  const { request, dataset, timings, progress } = ctx;
  const { signal } = ctx.hooks;
  const { items, features, model } = zs;
  const names = dataset.classes.map((c) => c.name);
  progress('probe', 'fitting the linear probe (λ on val)');
  // Large problems run the probe's objective on ONNX Runtime (fused, in row blocks); small ones stay exact in JavaScript.
  const kernels = items.length * names.length * features.cols >= GEMM_THRESHOLD ? await ProbeObjectiveKernel.create() : undefined;
  // Re-analysis starts every probe fit from the previous run's solution for this dataset and model.
  const warmStarts = new ProbeWarmStartStore(request.cacheDir, { datasetRoot: dataset.root, modelId: model.namespace.modelId, classes: names, dim: features.cols });
  const data: LabelledData = {
    ...base,
    algebra: kernels?.algebra(),
    previous: await warmStarts.load(names.length, features.cols),
    fingerprint: dataFingerprint(base),
  };
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
    const cross = await crossFitProbe(data, models, undefined, undefined, { onProgress, signal });
    if (cross.abstained) models.notes.push(`cross-fitting: ${cross.abstained} image(s) are the only one of their class outside their fold, so the probe abstains on them out of sample (GLA there is debiased zero-shot)`);
    await warmStarts.save({ fingerprint: data.fingerprint!, byLambda: models.solutions, folds: cross.folds }, names.length, features.cols);
    timings.lap('crossFit');
    return {
      data,
      prior: fittedPrior,
      probe: { models, cross },
      finetuned: {
        source: { source: 'probe', name: 'probe' },
        temperature: models.ftTemperature,
        logTrainPrior: models.logTrainPrior,
        rows: (block) => outOfSampleRows(data, models, cross, block),
      },
      notes: models.notes,
    };
  } finally {
    await kernels?.release();
  }
}

export interface ScoredRows {
  /** Each model's prediction for every labelled image, in row order. */
  predictions: PerModel<Int32Array>;
  /** GLA's probability of its own prediction, per image. */
  probability: Float64Array;
  /** The other four models' probabilities of their own predictions (NaN: no prediction), for predictions.csv. */
  confidence: Record<Exclude<ModelKind, 'gla'>, Float64Array>;
  scored: Scored;
  issues: LabelIssueCandidate[];
  notes: string[];
}

/**
 * Steps 3, 5, 8 and 9 in one streamed pass over row blocks: debiased zero-shot, the out-of-sample probe and GLA for
 * each block, each model's predictions and metrics (on test, else on every image, out of sample), and confident
 * learning's thresholds; a second pass over the disputed rows flags the label issues. No N × C matrix is held.
 */
export async function scoreStage(ctx: AnalysisContext, fitted: Fitted): Promise<ScoredRows> {
  const { data, finetuned } = fitted;
  const classes = ctx.dataset.classes.length;
  const names = ctx.dataset.classes.map((c) => c.name);
  const n = data.labels.length;
  const all = Array.from({ length: n }, (_, r) => r);
  const evaluated = new Uint8Array(n);
  for (const r of data.test.length ? data.test : all) evaluated[r] = 1;
  const accumulators = Object.fromEntries(MODEL_KINDS.map((k) => [k, new EvaluationAccumulator(classes)])) as PerModel<EvaluationAccumulator>;
  // −1: no prediction (a row the user's model has no logits for, in the fine-tuned, ensemble and GLA columns).
  const predictions = Object.fromEntries(MODEL_KINDS.map((k) => [k, new Int32Array(n).fill(-1)])) as PerModel<Int32Array>;
  const probability = new Float64Array(n).fill(NaN);
  const confidence = { zeroShot: new Float64Array(n).fill(NaN), debiased: new Float64Array(n).fill(NaN), finetuned: new Float64Array(n).fill(NaN), ensemble: new Float64Array(n).fill(NaN) };
  const logPrior = fitted.prior.prior.logPrior;
  const a = 1 / fitted.prior.prior.temperature;
  const b = 1 / finetuned.temperature;
  // Step 5's per-class offset −log q − log p_s, as glaLogits forms it.
  const offset = Float64Array.from(logPrior, (l, j) => -l - finetuned.logTrainPrior[j]);
  const debiased = new Float64Array(classes);
  const ensemble = new Float64Array(classes);
  const gla = new Float64Array(classes);
  const p = new Float64Array(classes);
  const learning = new ConfidentLearning(classes, MIN_LABEL_ISSUE_EVIDENCE);
  const has = (r: number): boolean => !finetuned.has || finetuned.has[r] === 1;
  const row = (z: Float32Array | Float64Array, f: Float32Array | Float64Array, off: number): void => {
    for (let j = 0; j < classes; j++) {
      debiased[j] = a * z[off + j] - logPrior[j];
      // The naive ensemble z/T + z_ft/T_ft (the paper's baseline), and GLA: the same less log q and log p_s.
      ensemble[j] = b * f[off + j] + a * z[off + j];
      gla[j] = ensemble[j] + offset[j];
    }
  };
  // Two passes, one bar: scoring every row, then confident learning's flags on the rows whose GLA argmax disputes
  // their label (no other row can be flagged).
  const blocks = [...blocksOf(data, all)];
  const disputed: number[] = [];
  let done = 0;
  let total = 2 * blocks.length;
  // A block's zero-shot and fine-tuned logits, after the progress report and the cancel check.
  const logitsOf = async (block: number[], message: string) => {
    throwIfCancelled(ctx.hooks.signal);
    ctx.progress('labelIssues', message, done++, total);
    return { z: (await zeroShotRows(data, block)).data, f: (await finetuned.rows(block)).data };
  };
  for (const block of blocks) {
    const { z, f } = await logitsOf(block, 'scoring the five models');
    block.forEach((r, m) => {
      const off = m * classes;
      const y = data.labels[r];
      row(z, f, off);
      const score = (kind: Exclude<ModelKind, 'gla'>, values: Float32Array | Float64Array, row: number): void => {
        const lse = logSumExpRow(values, row * classes, classes);
        const predicted = evaluated[r] ? accumulators[kind].add(values, row, y, lse) : argmaxRow(values, row, classes);
        predictions[kind][r] = predicted;
        confidence[kind][r] = Math.exp(values[row * classes + predicted] - lse);
      };
      score('zeroShot', z, m);
      score('debiased', debiased, 0);
      if (!has(r)) return;
      score('finetuned', f, m);
      score('ensemble', ensemble, 0);
      // GLA's probabilities from one log-sum-exp: of its prediction (predictions.csv) and of the given class
      // (confident learning's thresholds). Only rows it predicts otherwise than labelled can be flagged.
      const lse = logSumExpRow(gla, 0, classes);
      const predicted = evaluated[r] ? accumulators.gla.add(gla, 0, y, lse) : argmaxRow(gla, 0, classes);
      predictions.gla[r] = predicted;
      probability[r] = Math.exp(gla[predicted] - lse);
      learning.addRow(Math.exp(gla[y] - lse), y);
      if (predicted !== y) disputed.push(r);
    });
  }
  ctx.timings.lap('score');
  const recheck = [...blocksOf(data, disputed)];
  total = blocks.length + recheck.length;
  for (const block of recheck) {
    const { z, f } = await logitsOf(block, 'looking for mislabelled images');
    block.forEach((r, m) => {
      row(z, f, m * classes);
      softmaxRow(gla, 0, classes, p, 0);
      learning.checkRow(p, 0, data.labels[r], r);
    });
  }
  ctx.progress('labelIssues', `checked the ${disputed.length} images whose GLA prediction differs from their label`, total, total);
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
  const evaluatedCount = data.test.length || n;
  let without = 0;
  for (let r = 0; r < n; r++) if (evaluated[r] && !has(r)) without++;
  if (without) notes.push(`${without} of the ${evaluatedCount} evaluated images have no fine-tuned logits: the fine-tuned, ensemble and GLA metrics are over the other ${evaluatedCount - without}`);
  const scored: Scored = {
    on: data.test.length ? 'test' : fitted.probe ? 'cross-validated (no test split)' : 'all labelled images (no test split)',
    // The rows GLA scored, in order: its predictions pair with these (rows without fine-tuned logits are not among them).
    labels: takeLabels(data.labels, (data.test.length ? data.test : all).filter((r) => has(r))),
    evaluations: accumulators,
  };
  return { predictions, probability, confidence, scored, issues: learning.ranked(), notes };
}
