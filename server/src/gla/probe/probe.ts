import { UserError, throwIfCancelled } from '../../errors';
import { minimizeLbfgs } from './lbfgs';
import { assertFinite, assertLabels, classCounts, type Floats, type Matrix } from '../matrix';
import { evaluateLogits } from '../metrics';
import { probeInverseHessianDiagonal } from './probe-curvature';
import { softmaxResidualsInPlace } from './probe-residual';

/**
 * Progress of a long fit: `done` of `total` steps (λ candidates, folds, L-BFGS iterations) and what it is doing.
 * Awaited, so the caller may yield to its event loop there (a cancel request then gets through).
 */
export type ProbeProgress = (done: number, total: number, message: string) => void | Promise<void>;

/** A linear probe on (normalised) image embeddings: logits = W·x + b, W is classes×dim row-major. */
export interface LinearProbe {
  classes: number;
  dim: number;
  weights: Float64Array;
  bias: Float64Array;
  lambda: number;
}

/**
 * The two matrix products the probe's objective needs over its training features X (n × d): they are nearly all
 * of its cost. The default runs in plain JavaScript; callers may supply a faster engine (ONNX Runtime's GEMM).
 */
export interface ProductsAlgebra {
  /** out[i·c + k] = Σ_j X[i, j]·W[k, j] */
  scores(weights: Float64Array, classes: number, out: Float64Array): void | Promise<void>;
  /** out[k·d + j] = Σ_i R[i, k]·X[i, j] */
  backProject(residual: Float64Array, classes: number, out: Float64Array): void | Promise<void>;
  dispose?(): void | Promise<void>;
}

/**
 * The whole data term at once, Σ_i w_i·CE(W·x_i + b, y_i), with its gradient in [W | b] layout: an engine that
 * fuses the products with the softmax (ONNX Runtime, in row blocks) never hands an n × classes matrix back.
 */
export interface FusedAlgebra {
  dataTerm(params: Float64Array, gradient: Float64Array): Promise<number>;
  dispose?(): void | Promise<void>;
}

export type ProbeAlgebra = ProductsAlgebra | FusedAlgebra;

/** What an algebra needs of the fit besides the features. */
export interface ProbeProblem {
  labels: Int32Array;
  /** Per-sample weights summing to 1. */
  sampleWeights: Float64Array;
  classes: number;
  /** The features' mean: the objective is over x − mean (the bias absorbs W·mean). */
  mean: Float64Array;
}

/** Makes the algebra over one training set (row-major n × d, not centred: the algebra centres by problem.mean). */
export type ProbeAlgebraFactory = (features: Floats, n: number, d: number, problem: ProbeProblem) => ProbeAlgebra | Promise<ProbeAlgebra>;

/** Plain JavaScript products: exact float64, dependency-free, fine for small problems and tests. */
export const javascriptAlgebra: ProbeAlgebraFactory = (features, n, d, { mean }) => {
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = features[i * d + j] - mean[j];
  return javascriptProducts(x, n, d);
};

function javascriptProducts(x: Float64Array, n: number, d: number): ProductsAlgebra {
  return {
    scores(w, classes, out) {
      for (let i = 0; i < n; i++) {
        const xo = i * d;
        for (let k = 0; k < classes; k++) {
          const wo = k * d;
          let s = 0;
          for (let j = 0; j < d; j++) s += w[wo + j] * x[xo + j];
          out[i * classes + k] = s;
        }
      }
    },
    backProject(r, classes, out) {
      out.fill(0);
      for (let i = 0; i < n; i++) {
        const xo = i * d;
        for (let k = 0; k < classes; k++) {
          const v = r[i * classes + k];
          if (v === 0) continue;
          const oo = k * d;
          for (let j = 0; j < d; j++) out[oo + j] += v * x[xo + j];
        }
      }
    },
  };
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
  /** Stop once an iteration improves the objective by less than this fraction (default 1e-9, as scipy's L-BFGS). */
  relativeDecrease?: number;
  /** Where the matrix products run; plain JavaScript by default. */
  algebra?: ProbeAlgebraFactory;
  /** L-BFGS iteration i of at most maxIterations; finally (maxIterations, maxIterations). */
  onProgress?: ProbeProgress;
  /** Checked between iterations: an aborted signal stops the fit with CancelledError. */
  signal?: AbortSignal;
  /**
   * Precondition L-BFGS by the Hessian's diagonal (probe-curvature.ts): the same optimum in fewer iterations. By
   * default only where it matters, when λ·C ≥ PRECONDITION_FROM: the bias's curvature (about 1/C) is then that
   * many times below W's (λ); below it, fits keep plain L-BFGS's path.
   */
  precondition?: boolean;
}

export interface TrainedProbe extends LinearProbe {
  objective: number;
  iterations: number;
  /** Objective evaluations (each one pass over the training set). */
  evaluations?: number;
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

/** Σ_j w[off + j]·v[j]. */
function dot(w: Float64Array, off: number, v: Float64Array, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += w[off + j] * v[j];
  return s;
}

/** λ·C from which fits are preconditioned by default: where W's curvature λ is 10× the bias's 1/C or more. */
export const PRECONDITION_FROM = 10;

/** DESIGN step 4: multinomial logistic regression with L2, by L-BFGS from a warm start. */
export async function trainLinearProbe(features: Matrix, labels: Int32Array, classes: number, options: ProbeOptions): Promise<TrainedProbe> {
  const { rows: n, cols: dim, data: x } = features;
  if (n === 0) throw new UserError('the probe needs at least one training image');
  assertLabels(labels, n, classes, 'training labels');
  assertFinite(features, 'embeddings');
  const { lambda } = options;
  if (!(lambda >= 0)) throw new UserError(`the probe's L2 strength must be ≥ 0, got ${lambda}`);
  const weights = sampleWeights(labels, classes, options.balanced ?? false);
  const size = classes * dim + classes;
  // Optimise over centred features with the bias absorbing W·μ: the same optimum (b is not penalised), and
  // better conditioned when embeddings share a large common component, as CLIP's do.
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j] / n;
  const start = new Float64Array(size);
  if (options.init) {
    if (options.init.weights.length !== classes * dim) throw new Error('probe init has the wrong shape');
    start.set(options.init.weights, 0);
    if (options.init.bias) start.set(options.init.bias, classes * dim);
    for (let k = 0; k < classes; k++) start[classes * dim + k] += dot(options.init.weights, k * dim, mean, dim);
  }
  // The algebra centres the features itself, so no centred copy of the training set is made here.
  const algebra = await (options.algebra ?? javascriptAlgebra)(x, n, dim, { labels, sampleWeights: weights, classes, mean });
  const objective = 'dataTerm' in algebra ? fusedObjective(algebra, classes * dim, lambda) : productsObjective(algebra, labels, weights, classes, dim, lambda, n);
  const maxIterations = options.maxIterations ?? 500;
  const { onProgress } = options;
  const precondition = options.precondition ?? lambda * classes >= PRECONDITION_FROM;
  let result;
  let diagonal: Float64Array | undefined;
  try {
    result = await minimizeLbfgs(objective, start, {
      gradientTolerance: options.gradientTolerance ?? 1e-6,
      maxIterations,
      relativeDecrease: options.relativeDecrease ?? 1e-9,
      signal: options.signal,
      // Point-independent, so computed once per fit (an n × d pass) rather than at every iteration.
      preconditioner: precondition ? () => (diagonal ??= probeInverseHessianDiagonal(x, mean, weights, classes, dim, lambda)) : undefined,
      onIteration: onProgress && ((iteration) => onProgress(iteration, maxIterations, `L-BFGS iteration ${iteration}`)),
    });
  } finally {
    await algebra.dispose?.();
  }
  await onProgress?.(maxIterations, maxIterations, `L-BFGS ${result.converged ? 'converged' : 'stopped'} after ${result.iterations} iterations (${result.evaluations} evaluations)`);
  const trained = result.x.slice(0, classes * dim);
  const bias = Float64Array.from(result.x.subarray(classes * dim), (b, k) => b - dot(trained, k * dim, mean, dim));
  return { classes, dim, weights: trained, bias, lambda, objective: result.value, iterations: result.iterations, evaluations: result.evaluations, converged: result.converged };
}

/** The objective over products in JavaScript (or any two-product engine): one n × classes buffer, reused. */
function productsObjective(algebra: ProductsAlgebra, labels: Int32Array, weights: Float64Array, classes: number, dim: number, lambda: number, n: number) {
  // One n × classes buffer: the scores, then in place their residuals (no second matrix of that size).
  const buffer = new Float64Array(n * classes);
  const backProjected = new Float64Array(classes * dim);
  return async (params: Float64Array, grad: Float64Array): Promise<number> => {
    const biasOff = classes * dim;
    await algebra.scores(params.subarray(0, biasOff), classes, buffer);
    const biasGradient = grad.subarray(biasOff);
    biasGradient.fill(0);
    const loss = softmaxResidualsInPlace(buffer, params.subarray(biasOff), labels, weights, classes, biasGradient);
    await algebra.backProject(buffer, classes, backProjected);
    let penalty = 0;
    for (let k = 0; k < biasOff; k++) {
      penalty += params[k] * params[k];
      grad[k] = backProjected[k] + lambda * params[k];
    }
    return loss + 0.5 * lambda * penalty;
  };
}

/** The objective over a fused data term: only the penalty is added here. */
function fusedObjective(algebra: FusedAlgebra, biasOff: number, lambda: number) {
  return async (params: Float64Array, grad: Float64Array): Promise<number> => {
    const loss = await algebra.dataTerm(params, grad);
    let penalty = 0;
    for (let k = 0; k < biasOff; k++) {
      penalty += params[k] * params[k];
      grad[k] += lambda * params[k];
    }
    return loss + 0.5 * lambda * penalty;
  };
}

/** Probe logits for every row of `features`. */
export function probeLogits(probe: LinearProbe, features: Matrix): Matrix {
  const { rows: n, cols: dim, data: x } = features;
  if (dim !== probe.dim) throw new UserError(`the probe expects ${probe.dim}-dimensional embeddings, got ${dim}`);
  const out = new Float64Array(n * probe.classes);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < probe.classes; k++) {
      let s = probe.bias[k];
      const wo = k * dim;
      for (let j = 0; j < dim; j++) s += probe.weights[wo + j] * x[i * dim + j];
      out[i * probe.classes + k] = s;
    }
  }
  return { data: out, rows: n, cols: probe.classes };
}

/** Iterations for a fit that resumes from an earlier run's solution on slightly changed data (re-analysis). */
export const RESUMED_ITERATIONS = 25;

/** λ candidates, strongest first, so each fit warm-starts the next along the regularisation path. */
export const DEFAULT_LAMBDAS = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 1e-6];

/** A probe's parameters, as a warm start. */
export interface ProbeParameters {
  weights: Float64Array;
  bias: Float64Array;
}

export interface ProbeSelection {
  probe: TrainedProbe;
  lambda: number;
  /** Validation accuracy and NLL of every candidate. */
  candidates: { lambda: number; accuracy: number; nll: number }[];
  /** Every candidate's solution, by λ: a later run on similar data starts each fit from these. */
  solutions: Map<number, ProbeParameters>;
}

/**
 * Trains along the λ path and keeps the best on validation: highest accuracy, then lowest NLL. The path stops
 * once two weaker λ in a row score worse than the best: past the optimum, validation only degrades.
 */
export async function selectLinearProbe(
  train: { features: Matrix; labels: Int32Array },
  val: { features: Matrix; labels: Int32Array },
  classes: number,
  options: {
    lambdas?: number[];
    balanced?: boolean;
    init?: ProbeOptions['init'];
    maxIterations?: number;
    algebra?: ProbeAlgebraFactory;
    /** Solutions from an earlier run, by λ: each fit starts from its own instead of the previous λ's. */
    previous?: Map<number, ProbeParameters>;
    /** The earlier run saw exactly this data: take its solutions as they are instead of refitting. */
    reuse?: boolean;
    /** λ k of K (k fits done), with each fit's L-BFGS iterations in the message; finally (K, K). */
    onProgress?: ProbeProgress;
    /** Checked between iterations: an aborted signal stops the path with CancelledError. */
    signal?: AbortSignal;
    /** Where validation logits are computed (ONNX Runtime's GEMM at scale); probeLogits in JavaScript by default. */
    predict?: (probe: LinearProbe, features: Matrix) => Promise<Matrix>;
  } = {},
): Promise<ProbeSelection> {
  const lambdas = options.lambdas ?? DEFAULT_LAMBDAS;
  let init = options.init;
  let best: { probe: TrainedProbe; accuracy: number; nll: number } | undefined;
  const candidates: ProbeSelection['candidates'] = [];
  const solutions = new Map<number, ProbeParameters>();
  let worse = 0;
  const { onProgress } = options;
  for (const [step, lambda] of lambdas.entries()) {
    if (worse >= 2) break;
    throwIfCancelled(options.signal);
    const what = `λ ${step + 1} of ${lambdas.length} (${lambda})`;
    await onProgress?.(step, lambdas.length, what);
    const previous = options.previous?.get(lambda);
    const fits = previous !== undefined && previous.weights.length === classes * train.features.cols;
    const probe: TrainedProbe =
      options.reuse && fits
        ? { classes, dim: train.features.cols, ...previous, lambda, objective: NaN, iterations: 0, converged: true }
        : await trainLinearProbe(train.features, train.labels, classes, {
            lambda,
            balanced: options.balanced,
            init: fits ? previous : init,
            // Choosing λ needs validation scores, not the last digits of each fit: sklearn's defaults are looser still.
            // A fit resumed from the previous run's solution has already had a full budget behind it.
            maxIterations: fits ? RESUMED_ITERATIONS : options.maxIterations ?? 100,
            gradientTolerance: 1e-5,
            relativeDecrease: 1e-8,
            algebra: options.algebra,
            signal: options.signal,
            onProgress: onProgress && ((_done, _total, message) => onProgress(step, lambdas.length, `${what}: ${message}`)),
          });
    solutions.set(lambda, { weights: probe.weights, bias: probe.bias });
    init = { weights: probe.weights, bias: probe.bias };
    const evaluation = evaluateLogits(options.predict ? await options.predict(probe, val.features) : probeLogits(probe, val.features), val.labels);
    candidates.push({ lambda, accuracy: evaluation.top1, nll: evaluation.nll });
    if (!best || evaluation.top1 > best.accuracy || (evaluation.top1 === best.accuracy && evaluation.nll < best.nll)) {
      best = { probe, accuracy: evaluation.top1, nll: evaluation.nll };
      worse = 0;
    } else {
      worse++;
    }
  }
  if (!best) throw new UserError('no λ candidates given for the probe');
  const stoppedEarly = candidates.length < lambdas.length ? `, stopped after ${candidates.length}: validation stopped improving` : '';
  const chosen = lambdas.length === 1 ? `fitted with λ = ${best.probe.lambda}` : `λ = ${best.probe.lambda} chosen of ${lambdas.length} candidates${stoppedEarly}`;
  await onProgress?.(lambdas.length, lambdas.length, chosen);
  return { probe: best.probe, lambda: best.probe.lambda, candidates, solutions };
}
