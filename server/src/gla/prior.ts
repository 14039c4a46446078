import { UserError } from '../errors';
import { assertFinite, assertLabels, classCounts, type Matrix } from './matrix';
import { PriorShiftProblem, solvePriorShift } from './prior-shift';
import { logSoftmax } from './softmax';

/** The estimated pre-training label prior q = softmax(θ) and how the solve went. */
export interface PriorEstimate {
  temperature: number;
  prior: Float64Array;
  logPrior: Float64Array;
  objective: number;
  gradientNorm: number;
  iterations: number;
  converged: boolean;
}

export interface PriorOptions {
  /** T in z/T; 1 uses the logits as they are. */
  temperature?: number;
  /** κ ≥ 0, L2 shrinkage of log q toward uniform (for one- and two-shot data, and classes without labels). */
  shrink?: number;
  /** Warm start for θ (e.g. from a neighbouring temperature). */
  start?: Float64Array;
}

/** The labelled problem's pieces shared by the prior and the temperature search. */
export interface LabelledPriorProblem {
  problem: PriorShiftProblem;
  counts: Float64Array;
}

/**
 * Builds DESIGN step 1: θ* = argmin (1/N) Σ_i CE(z_i/T − θ + log p_l, y_i), p_l the labelled set's label
 * distribution. A class without labels has p_l = 0: its logits drop out and only shrinkage places it (at uniform).
 */
export function labelledPriorProblem(logits: Matrix, labels: Int32Array, temperature: number, shrink: number): LabelledPriorProblem {
  const { rows: n, cols: c, data: z } = logits;
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new UserError(`temperature must be a positive number, got ${temperature}`);
  if (!(shrink >= 0) || !Number.isFinite(shrink)) throw new UserError(`shrinkage must be a non-negative number, got ${shrink}`);
  if (n === 0) throw new UserError('no labelled samples: the prior needs at least one');
  assertLabels(labels, n, c);
  assertFinite(logits, 'logits');
  const counts = classCounts(labels, c);
  const empty: number[] = [];
  for (let j = 0; j < c; j++) if (counts[j] === 0) empty.push(j);
  if (empty.length > 0 && shrink === 0) {
    const list = empty.slice(0, 8).join(', ') + (empty.length > 8 ? `, … (${empty.length} in all)` : '');
    throw new UserError(`class ${list} ${empty.length === 1 ? 'has' : 'have'} no labelled samples, so the prior has no finite optimum; pass a shrinkage (--shrink) to place such classes at uniform`);
  }
  const beta = 1 / temperature;
  const bias = new Float64Array(c);
  const target = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    target[j] = counts[j] / n;
    bias[j] = Math.log(target[j]);
  }
  let logitSum = 0;
  let biasSum = 0;
  for (let i = 0; i < n; i++) {
    logitSum += z[i * c + labels[i]];
    biasSum += bias[labels[i]];
  }
  const spec = { logits, inverseTemperature: beta, bias, target, labelledLogitMean: logitSum / n, labelledBiasMean: biasSum / n, shrink };
  return { problem: new PriorShiftProblem(spec), counts };
}

/** Turns a solved θ into the reported estimate. */
export function priorFromTheta(theta: Float64Array, temperature: number, objective: number, gradientNorm: number, iterations: number, converged: boolean): PriorEstimate {
  const logPrior = logSoftmax(theta);
  const prior = logPrior.map(Math.exp);
  return { temperature, prior, logPrior, objective, gradientNorm, iterations, converged };
}

/** Estimates CLIP's pre-training label prior exactly (DESIGN step 1) by Newton-CG on θ. */
export function estimatePrior(logits: Matrix, labels: Int32Array, options: PriorOptions = {}): PriorEstimate {
  const temperature = options.temperature ?? 1;
  const shrink = options.shrink ?? 0;
  if (logits.cols === 1) {
    labelledPriorProblem(logits, labels, temperature, shrink);
    return priorFromTheta(new Float64Array(1), temperature, 0, 0, 0, true);
  }
  const { problem } = labelledPriorProblem(logits, labels, temperature, shrink);
  const { theta, result } = solvePriorShift(problem, options.start);
  return priorFromTheta(theta, temperature, result.value, result.gradientNorm, result.iterations, result.converged);
}
