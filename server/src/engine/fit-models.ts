import { UserError, throwIfCancelled } from '../errors';
import { javascriptLinearLogits, rowBlocks, type LinearLogits } from '../gemm/linear-logits';
import { rowsPerBlock } from '../gemm/probe-objective';
import { classCounts, takeLabels, takeRows, type Matrix } from '../gla/matrix';
import { DEFAULT_LAMBDAS, RESUMED_ITERATIONS, selectLinearProbe, trainLinearProbe, type LinearProbe, type ProbeAlgebraFactory, type ProbeParameters, type ProbeProgress, type ProbeSelection } from '../gla/probe/probe';
import type { ProbeWarmStarts } from '../store/probe-warm-starts';
import { estimatePriorWithConfidenceTemperature, estimatePriorWithLikelihoodTemperature, temperatureByLikelihood, type CalibratedPrior, type TemperatureRule } from '../gla/temperature';
import { stratifiedFolds, stratifiedSplit } from '../dataset/splits';
import { estimatePrior } from '../gla/prior';
import { expandLogPrior, labelledClasses, remapLabels, takeColumns } from '../gla/unlabelled-classes';

/** Below this many labelled images per class, q and T are fitted on train ∪ val, as the reference does. */
export const FEW_SHOT_LIMIT = 20;
/**
 * The temperatures a run may pick for CLIP's zero-shot logits (s = 100). On a small labelled set that the debiased
 * zero-shot model nearly separates, the joint likelihood keeps rising as T → 0 and q degenerates; a clamp keeps
 * the estimate meaningful, and the report says when it was hit.
 */
export const RUN_TEMPERATURE_BOUNDS = { min: 0.2, max: 5 };
/** Folds of the cross-fitted probe behind label issues and, without a test split, the metrics. */
export const CROSS_FIT_FOLDS = 5;
/**
 * L-BFGS iterations per fold. Each fold starts from the main probe's solution, which differs from the fold's optimum
 * by one fifth of the train images: a tight budget gets most of the way (measured at 50 000 × 1000 in the README).
 */
export const CROSS_FIT_ITERATIONS = 6;

export interface LabelledData {
  /** Where the probe's matrix products run (ONNX Runtime's GEMM for large problems); JavaScript when absent. */
  algebra?: ProbeAlgebraFactory;
  /** Solutions from the dataset's previous run: each probe fit starts from its own (re-analysis). */
  previous?: ProbeWarmStarts;
  /** Digest of the features, labels, splits and warm start; equal to previous.fingerprint when nothing changed. */
  fingerprint?: string;
  /** Where logits of a linear head are computed (ONNX Runtime's GEMM at scale); exact JavaScript when absent. */
  linear?: LinearLogits;
  /** Normalised image embeddings, N × D (float32 in a run). */
  features: Matrix;
  labels: Int32Array;
  train: number[];
  val: number[];
  test: number[];
  /** The zero-shot head scaled by the logit scale (C × D): z = initWeights·x, and the probe's warm start. */
  initWeights: Float64Array;
}

const classesOf = (data: LabelledData): number => data.initWeights.length / data.features.cols;

/** Zero-shot logits z = s·⟨x, t_c⟩ of some rows (DESIGN step 2), computed on demand: no N × C matrix is kept. */
export function zeroShotRows(data: LabelledData, rows: readonly number[]): Promise<Matrix> {
  return (data.linear ?? javascriptLinearLogits)(data.features, rows, { weights: data.initWeights, classes: classesOf(data) });
}

/** A probe's logits W·x + b for some rows, through the run's linear kernel. */
export function probeRows(data: LabelledData, probe: ProbeParameters, rows: readonly number[]): Promise<Matrix> {
  return (data.linear ?? javascriptLinearLogits)(data.features, rows, { weights: probe.weights, bias: probe.bias, classes: classesOf(data) });
}

export interface FittedPrior {
  prior: CalibratedPrior;
  /** Which images q and T were fitted on. */
  priorFittedOn: 'train+val' | 'val';
  /** Classes without a labelled image in that set: their q is a placeholder, not an estimate. */
  unlabelled: number[];
  notes: string[];
}

export interface FittedModels extends FittedPrior {
  probe: LinearProbe;
  probeSelection: ProbeSelection['candidates'];
  /** Every λ's solution, to warm-start the next run. */
  solutions: Map<number, ProbeParameters>;
  ftTemperature: number;
  /** log p_s from train counts (add-one smoothed when some class has no train image). */
  logTrainPrior: Float64Array;
  trainPriorSmoothed: boolean;
  notes: string[];
}

function complement(kept: number[], classes: number): number[] {
  const set = new Set(kept);
  return Array.from({ length: classes }, (_, j) => j).filter((j) => !set.has(j));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : 0;
}

/** Whether the previous run fitted exactly this data, so its solutions stand as they are. */
function unchanged(data: LabelledData): boolean {
  return data.fingerprint !== undefined && data.previous?.fingerprint === data.fingerprint;
}

/** DESIGN steps 1, 2 and 6: q and T on the labelled images (train ∪ val for few shots, else val). */
export async function fitPrior(data: LabelledData, rule: TemperatureRule = 'likelihood'): Promise<FittedPrior> {
  const { labels } = data;
  const classes = classesOf(data);
  const notes: string[] = [];

  // Step 6: train ∪ val for few shots (the reference does this below 20), otherwise val.
  const trainCounts = classCounts(takeLabels(labels, data.train), classes);
  const few = median(Array.from(trainCounts)) < FEW_SHOT_LIMIT || data.val.length === 0;
  const priorSet = few ? [...data.train, ...data.val] : data.val;
  const priorLabels = takeLabels(labels, priorSet);
  // Classes with no labelled image say nothing of q: fit the others alone, so they cannot move the others' q.
  const kept = labelledClasses(classCounts(priorLabels, classes));
  if (kept.length === 0) throw new UserError('no labelled images to fit the prior q on');
  const unlabelled = classes - kept.length;
  const setLogits = await zeroShotRows(data, priorSet);
  const priorLogits = unlabelled ? takeColumns(setLogits, kept) : setLogits;
  const fitLabels = unlabelled ? remapLabels(priorLabels, kept, classes) : priorLabels;
  const fit =
    kept.length === 1
      ? { ...estimatePrior(priorLogits, fitLabels), temperatureRule: rule }
      : rule === 'confidence'
        ? estimatePriorWithConfidenceTemperature(priorLogits, fitLabels, 0, RUN_TEMPERATURE_BOUNDS)
        : estimatePriorWithLikelihoodTemperature(priorLogits, fitLabels, 0, RUN_TEMPERATURE_BOUNDS);
  let prior: CalibratedPrior = fit;
  if (unlabelled) {
    const logPrior = expandLogPrior(fit.logPrior, kept, classes);
    prior = { ...fit, logPrior, prior: logPrior.map(Math.exp) };
    notes.push(`${unlabelled} class(es) have no labelled image to fit q on; q was fitted on the other ${kept.length}, and those classes were placed at their geometric mean (not an estimate)`);
  }
  if (prior.temperatureNote) notes.push(`temperature: ${prior.temperatureNote}`);
  return { prior, priorFittedOn: few ? 'train+val' : 'val', unlabelled: classes === kept.length ? [] : complement(kept, classes), notes };
}

/** Progress and cancellation for the probe's fits (step 4 and step 8's cross-fitting). */
export interface ProbeHooks {
  /** Fits done of the stage's total, with λ, fold and L-BFGS iteration in the message; finally done === total. */
  onProgress?: ProbeProgress;
  signal?: AbortSignal;
}

/** Train rows by class, in one pass. */
function trainByClass(data: LabelledData, classes: number): number[][] {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (const i of data.train) byClass[data.labels[i]].push(i);
  return byClass;
}

/** DESIGN step 4: the probe on train with λ from val and T_ft on val; p_s from the train counts. */
export async function fitProbe(data: LabelledData, fittedPrior: FittedPrior, hooks: ProbeHooks = {}): Promise<FittedModels> {
  const { labels } = data;
  const classes = classesOf(data);
  const notes = [...fittedPrior.notes];
  if (data.train.length === 0) throw new UserError('no train images: the probe needs at least one labelled train image (or bring your own model with --finetuned)');
  // Step 4: λ on val; without a val split, on a seeded fifth of train, then refit on all of train.
  let fitIdx = data.train;
  let valIdx = data.val;
  let lambdas = DEFAULT_LAMBDAS;
  if (valIdx.length === 0) {
    const split = stratifiedSplit(trainByClass(data, classes), 7);
    valIdx = data.train.filter((i) => split.get(i) === 'val');
    fitIdx = data.train.filter((i) => split.get(i) !== 'val');
    if (valIdx.length === 0) {
      // No class has the 5 train images a fifth needs (e.g. one image per class): scored on its own training
      // images, the path would only walk to its weakest λ. Few images call for the strongest: one fit, no choice.
      valIdx = fitIdx = data.train;
      lambdas = DEFAULT_LAMBDAS.slice(0, 1);
      notes.push(`no val split and no class with 5 train images to hold out: λ was not chosen but fixed at ${lambdas[0]} (the strongest candidate), and T_ft was fitted on train`);
    } else {
      notes.push('no val split: λ and T_ft were chosen on a held-out fifth of train');
    }
  }
  const init = { weights: data.initWeights };
  // Progress counts the λ fits, then the refit on all of train when a fifth was held out.
  const refits = fitIdx !== data.train ? 1 : 0;
  const { onProgress, signal } = hooks;
  const selection = await selectLinearProbe(
    { features: takeRows(data.features, fitIdx), labels: takeLabels(labels, fitIdx) },
    { features: takeRows(data.features, valIdx), labels: takeLabels(labels, valIdx) },
    classes,
    {
      lambdas,
      init,
      algebra: data.algebra,
      previous: data.previous?.byLambda,
      reuse: unchanged(data),
      signal,
      predict: (probe) => probeRows(data, probe, valIdx),
      onProgress: onProgress && ((done, total, message) => onProgress(done, total + refits, `fitting the linear probe: ${message}`)),
    },
  );
  const calibration = temperatureByLikelihood(await probeRows(data, selection.probe, valIdx), takeLabels(labels, valIdx), RUN_TEMPERATURE_BOUNDS);
  const ftTemperature = calibration.temperature;
  if (calibration.note) notes.push(`fine-tuned temperature: ${calibration.note}`);
  let probe: LinearProbe = selection.probe;
  if (refits) {
    const steps = lambdas.length;
    probe = await trainLinearProbe(takeRows(data.features, data.train), takeLabels(labels, data.train), classes, {
      lambda: selection.lambda,
      init: { weights: probe.weights, bias: probe.bias },
      algebra: data.algebra,
      signal,
      onProgress: onProgress && ((_done, _total, message) => onProgress(steps, steps + 1, `refitting the probe on all of train (λ = ${selection.lambda}): ${message}`)),
    });
    await onProgress?.(steps + 1, steps + 1, `refitted the probe on all of train (λ = ${selection.lambda})`);
  }

  // Step 5's p_s: the train label distribution the probe absorbed.
  const { logTrainPrior, smoothed } = trainLabelPrior(data);
  if (smoothed) notes.push('some classes have no train image; p_s was add-one smoothed');
  return { ...fittedPrior, probe, probeSelection: selection.candidates, solutions: selection.solutions, ftTemperature, logTrainPrior, trainPriorSmoothed: smoothed, notes };
}

/** Step 5's p_s from the train split's counts, add-one smoothed when some class has no train image. */
export function trainLabelPrior(data: Pick<LabelledData, 'labels' | 'train' | 'initWeights' | 'features'>): { logTrainPrior: Float64Array; smoothed: boolean } {
  const classes = classesOf(data as LabelledData);
  const trainCounts = classCounts(takeLabels(data.labels, data.train), classes);
  const smoothed = trainCounts.some((n) => n === 0);
  const total = trainCounts.reduce((a, b) => a + b, 0) + (smoothed ? classes : 0);
  return { logTrainPrior: Float64Array.from(trainCounts, (n) => Math.log((n + (smoothed ? 1 : 0)) / total)), smoothed };
}

/** Which probe predicts each row out of sample: the main one, its fold's, or none (abstains). */
export interface CrossFit {
  /** Per labelled row: a fold index into `folds`, MAIN_PROBE, or ABSTAINS. */
  probeOf: Int32Array;
  folds: (ProbeParameters | undefined)[];
  /** Train images that are the only one of their class outside their fold. */
  abstained: number;
}
export const MAIN_PROBE = -1;
export const ABSTAINS = -2;

/**
 * Out-of-sample probes for every labelled row (step 8's label issues, and the metrics without a test split). The
 * main probe never saw val or test images, so it predicts them; train images are cross-fitted in k folds, each
 * fold's probe warm-started from the main one so it converges in a few iterations.
 */
export async function crossFitProbe(data: LabelledData, models: FittedModels, seed = 11, maxIterations = CROSS_FIT_ITERATIONS, hooks: ProbeHooks = {}): Promise<CrossFit> {
  const classes = classesOf(data);
  const rows = data.labels.length;
  const probeOf = new Int32Array(rows).fill(MAIN_PROBE);
  const indices = data.train;
  const labels = takeLabels(data.labels, indices);
  const k = Math.max(2, Math.min(CROSS_FIT_FOLDS, indices.length));
  const folds = stratifiedFolds(labels, k, seed);
  const solutions: (ProbeParameters | undefined)[] = new Array(k).fill(undefined);
  const dim = data.features.cols;
  const { onProgress, signal } = hooks;
  let abstained = 0;
  for (let f = 0; f < k; f++) {
    throwIfCancelled(signal);
    const fold = `cross-fitting the probe: fold ${f + 1} of ${k}`;
    await onProgress?.(f, k, fold);
    const fit = indices.filter((_, r) => folds[r] !== f);
    // A held-out image whose class has no image in its fold's fit set cannot be predicted out of sample: the probe
    // abstains there (a constant row, so GLA falls back to debiased zero-shot), and a fold of only such images is
    // not fitted at all.
    const seen = new Uint8Array(classes);
    for (const i of fit) seen[data.labels[i]] = 1;
    const held: number[] = [];
    indices.forEach((i, r) => {
      if (folds[r] !== f) return;
      if (seen[labels[r]]) held.push(i);
      else {
        probeOf[i] = ABSTAINS;
        abstained++;
      }
    });
    if (held.length === 0) continue;
    const previous = data.previous?.folds[f];
    const reusable = previous !== undefined && previous.weights.length === classes * dim;
    let probe: ProbeParameters = models.probe;
    if (fit.length && reusable && unchanged(data)) {
      probe = previous;
    } else if (fit.length) {
      probe = await trainLinearProbe(takeRows(data.features, fit), takeLabels(data.labels, fit), classes, {
        lambda: models.probe.lambda,
        init: reusable ? previous : { weights: models.probe.weights, bias: models.probe.bias },
        maxIterations: reusable ? Math.min(maxIterations, RESUMED_ITERATIONS) : maxIterations,
        algebra: data.algebra,
        signal,
        onProgress: onProgress && ((_done, _total, message) => onProgress(f, k, `${fold}: ${message}`)),
      });
    }
    solutions[f] = { weights: probe.weights, bias: probe.bias };
    for (const i of held) probeOf[i] = f;
  }
  await onProgress?.(k, k, `cross-fitted the probe on ${k} folds`);
  return { probeOf, folds: solutions, abstained };
}

/** Out-of-sample probe logits of some rows (each by its own probe; zeros where the probe abstains). */
export async function outOfSampleRows(data: LabelledData, models: FittedModels, cross: CrossFit, rows: readonly number[]): Promise<Matrix> {
  const classes = classesOf(data);
  const out = data.linear ? new Float32Array(rows.length * classes) : new Float64Array(rows.length * classes);
  const byProbe = new Map<number, number[]>();
  rows.forEach((r, m) => {
    const p = cross.probeOf[r];
    if (p === ABSTAINS) return;
    const positions = byProbe.get(p);
    if (positions) positions.push(m);
    else byProbe.set(p, [m]);
  });
  for (const [p, positions] of byProbe) {
    const params = p === MAIN_PROBE ? models.probe : cross.folds[p]!;
    const logits = await probeRows(data, params, positions.map((m) => rows[m]));
    positions.forEach((m, k) => out.set(logits.data.subarray(k * classes, (k + 1) * classes), m * classes));
  }
  return { data: out, rows: rows.length, cols: classes };
}

/** All labelled rows in blocks of about 8 M logits. */
export function blocksOf(data: LabelledData, rows: readonly number[]): Generator<number[]> {
  return rowBlocks(rows, rowsPerBlock(classesOf(data)));
}
