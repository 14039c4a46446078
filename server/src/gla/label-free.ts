import { UserError } from '../errors';
import { assertFinite, type Matrix } from './matrix';
import { priorFromTheta, type PriorEstimate } from './prior';
import { PriorShiftProblem, solvePriorShift } from './prior-shift';

export interface LabelFreeOptions {
  temperature?: number;
  /** π, the prior the debiased predictions should follow on average; uniform when absent. */
  target?: Float64Array;
  shrink?: number;
}

/** Checks a declared target prior: positive entries summing to 1 (within rounding). */
export function assertTargetPrior(target: Float64Array, classes: number, what = 'target prior'): void {
  if (target.length !== classes) throw new UserError(`${what} has ${target.length} entries but there are ${classes} classes`);
  let sum = 0;
  for (let j = 0; j < target.length; j++) {
    if (!(target[j] > 0) || !Number.isFinite(target[j])) throw new UserError(`${what}[${j}] = ${target[j]}; every entry must be positive`);
    sum += target[j];
  }
  if (Math.abs(sum - 1) > 1e-6) throw new UserError(`${what} sums to ${sum}, not 1`);
}

/**
 * DESIGN step 7, label-free mode: θ such that the mean debiased prediction equals π,
 * Σ_i softmax(z_i/T − θ) = N·π, the optimum of a convex problem of the same family as the prior's.
 */
export function matchPrior(logits: Matrix, options: LabelFreeOptions = {}): PriorEstimate {
  const { rows: n, cols: c } = logits;
  const temperature = options.temperature ?? 1;
  const shrink = options.shrink ?? 0;
  if (n === 0) throw new UserError('no samples to match the prior on');
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new UserError(`temperature must be a positive number, got ${temperature}`);
  if (!(shrink >= 0) || !Number.isFinite(shrink)) throw new UserError(`shrinkage must be a non-negative number, got ${shrink}`);
  assertFinite(logits, 'logits');
  const target = options.target ?? new Float64Array(c).fill(1 / c);
  assertTargetPrior(target, c);
  if (c === 1) return priorFromTheta(new Float64Array(1), temperature, 0, 0, 0, true);
  const problem = new PriorShiftProblem({
    logits,
    inverseTemperature: 1 / temperature,
    bias: null,
    target,
    labelledLogitMean: 0,
    labelledBiasMean: 0,
    shrink,
  });
  const { theta, result } = solvePriorShift(problem);
  return priorFromTheta(theta, temperature, result.value, result.gradientNorm, result.iterations, result.converged);
}
