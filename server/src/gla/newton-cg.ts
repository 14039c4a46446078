import { dot, maxAbs } from './vector';

/**
 * A smooth convex objective for Newton-CG. `evaluate` returns f(x), writes ∇f(x), and prepares the Hessian at x,
 * which `hessianTimes` and `hessianDiagonal` then use; neither ever forms the dense Hessian.
 */
export interface NewtonProblem {
  readonly dimension: number;
  evaluate(x: Float64Array, gradient: Float64Array): number;
  hessianTimes(v: Float64Array, out: Float64Array): void;
  hessianDiagonal(out: Float64Array): void;
  /**
   * Optional: the right-hand side b of H·step = b, when a rescaled residual globalises better than −∇f. It must
   * equal −∇f at the optimum to first order, so the fast local convergence of Newton's method is kept.
   */
  newtonRightHandSide?(gradient: Float64Array, out: Float64Array): void;
}

export interface NewtonOptions {
  /** Stop when max |∇f| falls to this. */
  gradientTolerance: number;
  maxIterations: number;
  maxCgIterations: number;
  /**
   * Largest first step, in max-norm; it grows ×4 while full steps succeed. Newton on exponential-like objectives
   * overshoots wildly from far away, and a cap keeps each trial where the model is meaningful.
   */
  initialStepLimit: number;
}

/** On return the problem's prepared state (Hessian, cached sums) is that of `x`. */
export interface NewtonResult {
  x: Float64Array;
  value: number;
  gradient: Float64Array;
  gradientNorm: number;
  iterations: number;
  cgIterations: number;
  evaluations: number;
  converged: boolean;
}

const DEFAULTS: NewtonOptions = { gradientTolerance: 1e-10, maxIterations: 100, maxCgIterations: 200, initialStepLimit: Infinity };

/**
 * Preconditioned conjugate gradients for H·step = rhs, stopped at a relative accuracy that tightens as the
 * right-hand side shrinks (Eisenstat–Walker forcing term). `r`, `z`, `d`, `hd` are scratch. Returns the iterations.
 */
function solveCg(
  problem: NewtonProblem,
  r: Float64Array,
  precond: Float64Array,
  step: Float64Array,
  maxIterations: number,
  z: Float64Array,
  d: Float64Array,
  hd: Float64Array,
): number {
  const dim = r.length;
  const rl2 = Math.sqrt(dot(r, r));
  const forcing = Math.min(0.5, Math.sqrt(rl2)) * rl2;
  step.fill(0);
  for (let k = 0; k < dim; k++) {
    z[k] = precond[k] * r[k];
    d[k] = z[k];
  }
  let rz = dot(r, z);
  for (let cg = 0; cg < maxIterations; cg++) {
    problem.hessianTimes(d, hd);
    const curvature = dot(d, hd);
    if (!(curvature > 0)) {
      // Flat direction (the shift of θ) or round-off: fall back to the preconditioned residual if nothing yet.
      if (cg === 0) step.set(z);
      return cg + 1;
    }
    const alpha = rz / curvature;
    for (let k = 0; k < dim; k++) {
      step[k] += alpha * d[k];
      r[k] -= alpha * hd[k];
    }
    if (Math.sqrt(dot(r, r)) <= forcing) return cg + 1;
    for (let k = 0; k < dim; k++) z[k] = precond[k] * r[k];
    const rzNext = dot(r, z);
    const beta = rzNext / rz;
    rz = rzNext;
    for (let k = 0; k < dim; k++) d[k] = z[k] + beta * d[k];
  }
  return maxIterations;
}

/**
 * Inexact Newton with a diagonally preconditioned conjugate-gradient inner solve and Armijo backtracking.
 * Each Hessian-vector product is one pass over the data, so a step costs a handful of passes.
 */
export function minimizeNewtonCg(problem: NewtonProblem, start: Float64Array, options: Partial<NewtonOptions> = {}): NewtonResult {
  const opts = { ...DEFAULTS, ...options };
  const dim = problem.dimension;
  const x = Float64Array.from(start);
  const g = new Float64Array(dim);
  const step = new Float64Array(dim);
  const r = new Float64Array(dim);
  const z = new Float64Array(dim);
  const d = new Float64Array(dim);
  const hd = new Float64Array(dim);
  const precond = new Float64Array(dim);
  const trial = new Float64Array(dim);
  const trialGrad = new Float64Array(dim);

  let f = problem.evaluate(x, g);
  let evaluations = 1;
  let cgTotal = 0;
  let iterations = 0;
  let gnorm = maxAbs(g);
  let stepLimit = opts.initialStepLimit;

  while (gnorm > opts.gradientTolerance && iterations < opts.maxIterations) {
    iterations++;
    problem.hessianDiagonal(precond);
    // A coordinate with no curvature (all its probabilities exactly 0 or 1) moves along the gradient instead.
    for (let k = 0; k < dim; k++) precond[k] = precond[k] > 1e-300 ? 1 / precond[k] : 1;
    let useCustom = problem.newtonRightHandSide !== undefined;
    let slope = 0;
    for (;;) {
      if (useCustom) problem.newtonRightHandSide!(g, r);
      else for (let k = 0; k < dim; k++) r[k] = -g[k];
      cgTotal += solveCg(problem, r, precond, step, opts.maxCgIterations, z, d, hd);
      slope = dot(g, step);
      // The rescaled residual usually gives a descent direction; when it does not, take the plain Newton step.
      if (slope < 0 || !useCustom) break;
      useCustom = false;
    }
    if (!(slope < 0)) break;

    const length = maxAbs(step);
    const capped = length > stepLimit;
    if (capped) {
      for (let k = 0; k < dim; k++) step[k] *= stepLimit / length;
      slope *= stepLimit / length;
    }
    // Backtracking line search on the Armijo condition; a full Newton step is almost always taken.
    let t = 1;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let k = 0; k < dim; k++) trial[k] = x[k] + t * step[k];
      const ft = problem.evaluate(trial, trialGrad);
      evaluations++;
      // Near the optimum the decrease drops below f's rounding; then a smaller gradient is the honest test.
      const withinRounding = ft <= f + 1e-13 * (1 + Math.abs(f)) && maxAbs(trialGrad) < gnorm;
      if (Number.isFinite(ft) && (ft <= f + 1e-4 * t * slope || withinRounding)) {
        x.set(trial);
        g.set(trialGrad);
        f = ft;
        accepted = true;
        const taken = t * Math.min(length, stepLimit);
        stepLimit = t === 1 ? (capped ? stepLimit * 4 : Math.max(stepLimit, 2 * length)) : Math.max(taken, 1e-8);
        break;
      }
      t *= 0.5;
    }
    if (!accepted) {
      // No decrease representable in floating point: we are at the optimum to machine precision.
      problem.evaluate(x, g);
      evaluations++;
      gnorm = maxAbs(g);
      break;
    }
    gnorm = maxAbs(g);
  }
  return {
    x,
    value: f,
    gradient: g,
    gradientNorm: Math.sqrt(dot(g, g)),
    iterations,
    cgIterations: cgTotal,
    evaluations,
    converged: gnorm <= opts.gradientTolerance,
  };
}
