import { UserError } from '../errors';
import { assertFinite, assertLabels, argmaxRow, type Matrix } from './matrix';
import { estimatePrior, labelledPriorProblem, priorFromTheta, type PriorEstimate } from './prior';
import { solvePriorShift } from './prior-shift';
import { rootOfIncreasing } from './root-finding';

export type TemperatureRule = 'likelihood' | 'confidence';

/** Temperatures are searched in [1e-4, 1e4] by default; beyond that the data are separable or pure noise. */
const T_MIN = 1e-4;
const T_MAX = 1e4;

/** The range a temperature search may return; hitting a bound is reported in `temperatureNote`. */
export interface TemperatureBounds {
  min: number;
  max: number;
}

export interface CalibratedPrior extends PriorEstimate {
  temperatureRule: TemperatureRule;
  /** Set when the temperature hit a bound (e.g. a separable labelled set drives T → 0). */
  temperatureNote?: string;
}

/**
 * DESIGN step 2, default rule: T and θ jointly by likelihood. f(1/T, θ) is jointly convex, so the profile
 * F(β) = min_θ f(β, θ) is convex in β = 1/T; we find F'(β) = 0, each F' a warm-started exact θ-solve.
 */
export function estimatePriorWithLikelihoodTemperature(logits: Matrix, labels: Int32Array, shrink = 0, bounds: TemperatureBounds = { min: T_MIN, max: T_MAX }): CalibratedPrior {
  const { problem } = labelledPriorProblem(logits, labels, 1, shrink);
  let theta: Float64Array | undefined;
  let thetaBeta = 1;
  let last: ReturnType<typeof solvePriorShift> | undefined;
  let iterations = 0;
  const slope = (beta: number): number => {
    // θ*(β) grows roughly in proportion to β: rescale the previous optimum as the warm start.
    const start = theta ? theta.map((t) => (t * beta) / thetaBeta) : undefined;
    problem.setInverseTemperature(beta, start ?? new Float64Array(problem.dimension));
    last = solvePriorShift(problem, start);
    iterations += last.result.iterations;
    theta = last.theta;
    thetaBeta = beta;
    return problem.inverseTemperatureSlope();
  };
  const root = rootOfIncreasing(slope, 1, { lo: 1 / bounds.max, hi: 1 / bounds.min }, { relativeX: 1e-9, absoluteF: 1e-11 });
  if (thetaBeta !== root.x) slope(root.x);
  const solved = last!;
  const temperature = 1 / root.x;
  const estimate = priorFromTheta(solved.theta, temperature, solved.result.value, solved.result.gradientNorm, iterations, solved.result.converged);
  const note =
    root.status === 'above' ? `the likelihood keeps rising as T falls (the labelled set is nearly separable); T stopped at ${bounds.min}`
    : root.status === 'below' ? `the likelihood keeps rising as T grows (the logits carry little signal); T stopped at ${bounds.max}`
    : undefined;
  return { ...estimate, temperatureRule: 'likelihood', temperatureNote: note };
}

/** Mean over rows of max softmax(z/T): the model's average confidence. */
function meanMaxConfidence(logits: Matrix, inverseTemperature: number): number {
  const { data, rows, cols } = logits;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const top = data[off + argmaxRow(data, i, cols)];
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(inverseTemperature * (data[off + j] - top));
    total += 1 / sum;
  }
  return total / rows;
}

/** The reference's rule: T such that the mean max-confidence of softmax(z/T) equals top-1 accuracy on the labelled set. */
export function temperatureByConfidence(logits: Matrix, labels: Int32Array, bounds: TemperatureBounds = { min: T_MIN, max: T_MAX }): { temperature: number; note?: string } {
  if (logits.rows === 0) throw new UserError('no labelled samples to calibrate the temperature on');
  assertLabels(labels, logits.rows, logits.cols);
  assertFinite(logits, 'logits');
  let correct = 0;
  for (let i = 0; i < logits.rows; i++) if (argmaxRow(logits.data, i, logits.cols) === labels[i]) correct++;
  const accuracy = correct / logits.rows;
  // Confidence falls as T rises, so confidence(T) − accuracy is decreasing in T and increasing in β = 1/T.
  const root = rootOfIncreasing((beta) => meanMaxConfidence(logits, beta) - accuracy, 1, { lo: 1 / bounds.max, hi: 1 / bounds.min }, { relativeX: 1e-10, absoluteF: 1e-12 });
  const temperature = 1 / root.x;
  const note =
    root.status === 'above' ? `accuracy ${accuracy.toFixed(3)} is above any reachable confidence; T stopped at ${bounds.min}`
    : root.status === 'below' ? `accuracy ${accuracy.toFixed(3)} is at or below chance; T stopped at ${bounds.max}`
    : undefined;
  return { temperature, note };
}

/** DESIGN step 2, reference rule: T by confidence matching, then θ at that T. */
export function estimatePriorWithConfidenceTemperature(logits: Matrix, labels: Int32Array, shrink = 0, bounds?: TemperatureBounds): CalibratedPrior {
  const { temperature, note } = temperatureByConfidence(logits, labels, bounds);
  return { ...estimatePrior(logits, labels, { temperature, shrink }), temperatureRule: 'confidence', temperatureNote: note };
}

/** T minimising the mean cross-entropy of softmax(z/T): calibrates the fine-tuned model on val (DESIGN step 4). */
export function temperatureByLikelihood(logits: Matrix, labels: Int32Array, bounds: TemperatureBounds = { min: T_MIN, max: T_MAX }): { temperature: number; note?: string } {
  const { data, rows, cols } = logits;
  if (rows === 0) throw new UserError('no labelled samples to calibrate the temperature on');
  assertLabels(labels, rows, cols);
  assertFinite(logits, 'logits');
  let labelledMean = 0;
  for (let i = 0; i < rows; i++) labelledMean += data[i * cols + labels[i]];
  labelledMean /= rows;
  // d/dβ mean CE(β·z) = mean_i E_{softmax(βz_i)}[z_i] − mean_i z_{i,y_i}, increasing in β.
  const slope = (beta: number): number => {
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const off = i * cols;
      const top = data[off + argmaxRow(data, i, cols)];
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < cols; j++) {
        const e = Math.exp(beta * (data[off + j] - top));
        sum += e;
        weighted += e * data[off + j];
      }
      total += weighted / sum;
    }
    return total / rows - labelledMean;
  };
  const root = rootOfIncreasing(slope, 1, { lo: 1 / bounds.max, hi: 1 / bounds.min }, { relativeX: 1e-10, absoluteF: 1e-12 });
  const note =
    root.status === 'above' ? `the validation set is separable; T stopped at ${bounds.min}`
    : root.status === 'below' ? `the logits carry no signal on validation; T stopped at ${bounds.max}`
    : undefined;
  return { temperature: 1 / root.x, note };
}
