import { UserError } from '../errors';
import { minimizeLbfgs } from './lbfgs';
import { assertFinite, assertLabels, classCounts, type Matrix } from './matrix';
import { evaluateLogits } from './metrics';

/** A linear probe on (normalised) image embeddings: logits = W·x + b, W is classes×dim row-major. */
export interface LinearProbe {
  classes: number;
  dim: number;
  weights: Float64Array;
  bias: Float64Array;
  lambda: number;
}

export interface ProbeOptions {
  /** L2 strength on W (not b): objective = weighted mean CE + (λ/2)‖W‖². */
  lambda: number;
  /** Weigh each sample by 1/n_class so every class counts equally (for long-tailed train splits). */
  balanced?: boolean;
  /** Warm start, e.g. the zero-shot head s·t_c (DESIGN step 4). */
  init?: { weights: Float64Array; bias?: Float64Array };
  maxIterations?: number;
  gradientTolerance?: number;
}

export interface TrainedProbe extends LinearProbe {
  objective: number;
  iterations: number;
  converged: boolean;
}

/** Per-sample weights normalised to sum to 1. */
function sampleWeights(labels: Int32Array, classes: number, balanced: boolean): Float64Array {
  const w = new Float64Array(labels.length);
  if (!balanced) return w.fill(1 / labels.length);
  const counts = classCounts(labels, classes);
  let present = 0;
  for (let j = 0; j < classes; j++) if (counts[j] > 0) present++;
  for (let i = 0; i < labels.length; i++) w[i] = 1 / (counts[labels[i]] * present);
  return w;
}

/** Writes W·x_i + b for one sample into `out`. */
function rowLogits(x: Float32Array | Float64Array, xOff: number, dim: number, classes: number, params: Float64Array, out: Float64Array): void {
  const biasOff = classes * dim;
  for (let c = 0; c < classes; c++) {
    const wOff = c * dim;
    let s = params[biasOff + c];
    for (let d = 0; d < dim; d++) s += params[wOff + d] * x[xOff + d];
    out[c] = s;
  }
}

/** DESIGN step 4: multinomial logistic regression with L2, by L-BFGS from a warm start. */
export function trainLinearProbe(features: Matrix, labels: Int32Array, classes: number, options: ProbeOptions): TrainedProbe {
  const { rows: n, cols: dim, data: x } = features;
  if (n === 0) throw new UserError('the probe needs at least one training image');
  assertLabels(labels, n, classes, 'training labels');
  assertFinite(features, 'embeddings');
  const { lambda } = options;
  if (!(lambda >= 0)) throw new UserError(`the probe's L2 strength must be ≥ 0, got ${lambda}`);
  const weights = sampleWeights(labels, classes, options.balanced ?? false);
  const size = classes * dim + classes;
  const start = new Float64Array(size);
  if (options.init) {
    if (options.init.weights.length !== classes * dim) throw new Error('probe init has the wrong shape');
    start.set(options.init.weights, 0);
    if (options.init.bias) start.set(options.init.bias, classes * dim);
  }
  const logits = new Float64Array(classes);
  const objective = (params: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const biasOff = classes * dim;
    for (let i = 0; i < n; i++) {
      const xOff = i * dim;
      rowLogits(x, xOff, dim, classes, params, logits);
      let max = -Infinity;
      for (let c = 0; c < classes; c++) if (logits[c] > max) max = logits[c];
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        logits[c] = Math.exp(logits[c] - max);
        sum += logits[c];
      }
      const y = labels[i];
      const wi = weights[i];
      loss += wi * (Math.log(sum) - Math.log(logits[y]));
      for (let c = 0; c < classes; c++) {
        // ∂CE/∂logit_c = p_c − [c = y], weighted.
        const r = wi * (logits[c] / sum - (c === y ? 1 : 0));
        if (r === 0) continue;
        const wOff = c * dim;
        for (let d = 0; d < dim; d++) grad[wOff + d] += r * x[xOff + d];
        grad[biasOff + c] += r;
      }
    }
    let penalty = 0;
    for (let k = 0; k < classes * dim; k++) {
      penalty += params[k] * params[k];
      grad[k] += lambda * params[k];
    }
    return loss + 0.5 * lambda * penalty;
  };
  const result = minimizeLbfgs(objective, start, {
    gradientTolerance: options.gradientTolerance ?? 1e-6,
    maxIterations: options.maxIterations ?? 500,
  });
  return {
    classes,
    dim,
    weights: result.x.slice(0, classes * dim),
    bias: result.x.slice(classes * dim),
    lambda,
    objective: result.value,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/** Probe logits for every row of `features`. */
export function probeLogits(probe: LinearProbe, features: Matrix): Matrix {
  const { rows: n, cols: dim, data: x } = features;
  if (dim !== probe.dim) throw new UserError(`the probe expects ${probe.dim}-dimensional embeddings, got ${dim}`);
  const params = new Float64Array(probe.classes * dim + probe.classes);
  params.set(probe.weights, 0);
  params.set(probe.bias, probe.classes * dim);
  const out = new Float64Array(n * probe.classes);
  const row = new Float64Array(probe.classes);
  for (let i = 0; i < n; i++) {
    rowLogits(x, i * dim, dim, probe.classes, params, row);
    out.set(row, i * probe.classes);
  }
  return { data: out, rows: n, cols: probe.classes };
}

/** λ candidates, strongest first, so each fit warm-starts the next along the regularisation path. */
export const DEFAULT_LAMBDAS = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 1e-6];

export interface ProbeSelection {
  probe: TrainedProbe;
  lambda: number;
  /** Validation accuracy and NLL of every candidate. */
  candidates: { lambda: number; accuracy: number; nll: number }[];
}

/**
 * Trains along the λ path and keeps the best on validation: highest accuracy, then lowest NLL. The path stops
 * once two weaker λ in a row score worse than the best: past the optimum, validation only degrades.
 */
export function selectLinearProbe(
  train: { features: Matrix; labels: Int32Array },
  val: { features: Matrix; labels: Int32Array },
  classes: number,
  options: { lambdas?: number[]; balanced?: boolean; init?: ProbeOptions['init']; maxIterations?: number } = {},
): ProbeSelection {
  const lambdas = options.lambdas ?? DEFAULT_LAMBDAS;
  let init = options.init;
  let best: { probe: TrainedProbe; accuracy: number; nll: number } | undefined;
  const candidates: ProbeSelection['candidates'] = [];
  let worse = 0;
  for (const lambda of lambdas) {
    if (worse >= 2) break;
    const probe = trainLinearProbe(train.features, train.labels, classes, { lambda, balanced: options.balanced, init, maxIterations: options.maxIterations ?? 200, gradientTolerance: 1e-5 });
    init = { weights: probe.weights, bias: probe.bias };
    const evaluation = evaluateLogits(probeLogits(probe, val.features), val.labels);
    candidates.push({ lambda, accuracy: evaluation.top1, nll: evaluation.nll });
    if (!best || evaluation.top1 > best.accuracy || (evaluation.top1 === best.accuracy && evaluation.nll < best.nll)) {
      best = { probe, accuracy: evaluation.top1, nll: evaluation.nll };
      worse = 0;
    } else {
      worse++;
    }
  }
  if (!best) throw new UserError('no λ candidates given for the probe');
  return { probe: best.probe, lambda: best.probe.lambda, candidates };
}
