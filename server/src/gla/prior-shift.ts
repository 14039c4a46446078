import type { Matrix } from './matrix';
import { minimizeNewtonCg, type NewtonProblem, type NewtonResult } from './newton-cg';
import { ShiftedSoftmax } from './shifted-softmax';

/**
 * The convex problem behind the prior (DESIGN step 1) and label-free matching (step 7):
 *   F(θ) = (1/N) Σ_i logsumexp_c(β·z_ic + bias_c − θ_c) + Σ_c target_c·θ_c + offset + (κ/2)·‖θ − mean θ‖²,
 * with offset = −(β·mean_i z_{i,y_i} + mean_i bias_{y_i}) so that F is the mean cross-entropy when labelled.
 * At the optimum the mean debiased prediction matches the target: (1/N) Σ_i softmax(β·z_i + bias − θ) = target
 * (up to the shrinkage term). F is invariant to shifting θ, so θ is reported with Σθ = 0.
 */
export interface PriorShiftSpec {
  logits: Matrix;
  inverseTemperature: number;
  /** Added to every row's scores (log p_l for the labelled problem); null for none. */
  bias: Float64Array | null;
  /** Per-class mean the debiased predictions must reach; sums to 1. */
  target: Float64Array;
  /** mean_i z_{i,y_i} and mean_i bias_{y_i} over the labelled samples; 0 for label-free matching. */
  labelledLogitMean: number;
  labelledBiasMean: number;
  /** κ ≥ 0: L2 shrinkage of θ toward uniform. */
  shrink: number;
}

export class PriorShiftProblem implements NewtonProblem {
  readonly dimension: number;
  readonly target: Float64Array;
  readonly softmax: ShiftedSoftmax;

  constructor(private readonly spec: PriorShiftSpec) {
    this.dimension = spec.logits.cols;
    this.target = spec.target;
    this.softmax = new ShiftedSoftmax(spec.logits, spec.inverseTemperature, spec.bias);
  }

  get inverseTemperature(): number {
    return this.spec.inverseTemperature;
  }

  /** Moves to another temperature, recomputing the cached exponentials around `theta`. */
  setInverseTemperature(beta: number, theta: Float64Array): void {
    this.spec.inverseTemperature = beta;
    this.softmax.setInverseTemperature(beta, theta);
  }

  /** ∂F/∂β at the last evaluated θ: the profile likelihood's slope in 1/T (DESIGN step 2). */
  inverseTemperatureSlope(): number {
    return this.softmax.expectedLogitSum() / this.spec.logits.rows - this.spec.labelledLogitMean;
  }

  evaluate(theta: Float64Array, gradient: Float64Array): number {
    const { target, shrink } = this.spec;
    const offset = -(this.spec.inverseTemperature * this.spec.labelledLogitMean + this.spec.labelledBiasMean);
    const n = this.spec.logits.rows;
    const c = this.dimension;
    const lse = this.softmax.evaluate(theta);
    let mean = 0;
    for (let j = 0; j < c; j++) mean += theta[j];
    mean /= c;
    let linear = 0;
    let penalty = 0;
    const sums = this.softmax.columnSums;
    for (let j = 0; j < c; j++) {
      linear += target[j] * theta[j];
      const d = theta[j] - mean;
      penalty += d * d;
      gradient[j] = target[j] - sums[j] / n + shrink * d;
    }
    return lse / n + linear + offset + 0.5 * shrink * penalty;
  }

  hessianTimes(v: Float64Array, out: Float64Array): void {
    const n = this.spec.logits.rows;
    const c = this.dimension;
    const { shrink } = this.spec;
    this.softmax.hessianTimes(v, out);
    let mean = 0;
    for (let j = 0; j < c; j++) mean += v[j];
    mean /= c;
    for (let j = 0; j < c; j++) out[j] = out[j] / n + shrink * (v[j] - mean);
  }

  /**
   * Newton on log(mean p) = log(target) rather than mean p = target: identical near the optimum, but from far away
   * a class predicted e^k times too often moves by about k nats at once, as a fixed-point (EM) step would.
   */
  newtonRightHandSide(gradient: Float64Array, out: Float64Array): void {
    const n = this.spec.logits.rows;
    const sums = this.softmax.columnSums;
    const { target } = this;
    for (let j = 0; j < this.dimension; j++) {
      const mean = sums[j] / n;
      const shrinkTerm = gradient[j] - (target[j] - mean);
      out[j] = target[j] > 0 && mean > 0 ? mean * Math.log(mean / target[j]) - shrinkTerm : -gradient[j];
    }
    // H·1 = 0, so only a right-hand side orthogonal to 1 is consistent; CG stalls on the rest.
    let mean = 0;
    for (let j = 0; j < this.dimension; j++) mean += out[j];
    mean /= this.dimension;
    for (let j = 0; j < this.dimension; j++) out[j] -= mean;
  }

  hessianDiagonal(out: Float64Array): void {
    const n = this.spec.logits.rows;
    const c = this.dimension;
    const { shrink } = this.spec;
    const sums = this.softmax.columnSums;
    const squares = this.softmax.columnSquareSums;
    for (let j = 0; j < c; j++) out[j] = (sums[j] - squares[j]) / n + shrink * (1 - 1 / c);
  }
}

export interface PriorShiftSolution {
  /** θ with Σθ = 0. */
  theta: Float64Array;
  result: NewtonResult;
}

/**
 * Cold start: two multiplicative fixed-point (EM) steps θ += log(mean p / target) from uniform. They are cheap
 * passes over the cached exponentials and bring θ close enough that Newton converges in a few steps.
 */
function coldStart(problem: PriorShiftProblem): Float64Array {
  const c = problem.dimension;
  const n = problem.softmax.rows;
  const theta = new Float64Array(c);
  for (let step = 0; step < 2; step++) {
    problem.softmax.evaluate(theta);
    const sums = problem.softmax.columnSums;
    for (let j = 0; j < c; j++) {
      const ratio = sums[j] / (n * problem.target[j]);
      if (ratio > 0 && Number.isFinite(ratio)) theta[j] += Math.log(ratio);
    }
  }
  return theta;
}

/** Solves the problem to the optimum from `start` (warm starts make temperature searches cheap). */
export function solvePriorShift(problem: PriorShiftProblem, start?: Float64Array, gradientTolerance = 1e-11): PriorShiftSolution {
  const c = problem.dimension;
  const result = minimizeNewtonCg(problem, start ?? coldStart(problem), {
    gradientTolerance,
    maxIterations: 200,
    maxCgIterations: 4 * c + 50,
    initialStepLimit: 4,
  });
  const theta = Float64Array.from(result.x);
  let mean = 0;
  for (let j = 0; j < c; j++) mean += theta[j];
  mean /= c;
  for (let j = 0; j < c; j++) theta[j] -= mean;
  return { theta, result };
}
