import { throwIfCancelled } from '../../errors';
import { dot, maxAbs } from '../vector';

/** f(x), writing ∇f(x) into `gradient`; asynchronous when its products run on an engine such as ONNX Runtime. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number | Promise<number>;

export interface LbfgsOptions {
  /** Stop when max |∇f| falls to this. */
  gradientTolerance: number;
  maxIterations: number;
  /** Number of correction pairs kept. */
  memory: number;
  /**
   * Also stop when an iteration lowers f by less than this, relative to max(|f|, 1) (scipy's `ftol`): on
   * ill-conditioned problems the last digits of the gradient cost many iterations and change nothing that matters.
   */
  relativeDecrease: number;
  /** Called after each accepted step (awaited, so a caller may yield to its event loop there). */
  onIteration?: (iteration: number, value: number) => void | Promise<void>;
  /** Checked before each iteration: an aborted signal stops the fit with CancelledError. */
  signal?: AbortSignal;
  /**
   * A positive diagonal approximating the inverse Hessian at the current point: the initial matrix becomes γ·diag
   * instead of γ·I (preconditioned L-BFGS, as DESIGN step 1 suggests), which evens out curvatures of very different
   * scales. The optimum is the same; only the path to it is shorter. Asked for right after f was evaluated at the
   * current point (iteration 0 at `start`, then after each accepted step); undefined keeps the previous one.
   */
  preconditioner?: (iteration: number) => Float64Array | undefined;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  gradientNorm: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

const DEFAULTS: LbfgsOptions = { gradientTolerance: 1e-6, maxIterations: 500, memory: 10, relativeDecrease: 0 };

/** Limited-memory BFGS (two-loop recursion) with Armijo backtracking; pairs failing the curvature test are skipped. */
export async function minimizeLbfgs(f: Objective, start: Float64Array, options: Partial<LbfgsOptions> = {}): Promise<LbfgsResult> {
  const opts = { ...DEFAULTS, ...options };
  const n = start.length;
  const x = Float64Array.from(start);
  const g = new Float64Array(n);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  // Correction pairs dropped from the memory, reused so an iteration allocates nothing of the problem's size.
  const spare: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(opts.memory);
  let fx = await f(x, g);
  let precondition: Float64Array | undefined;
  const refreshPreconditioner = (iteration: number): void => {
    const next = opts.preconditioner?.(iteration);
    if (next && next.length !== n) throw new Error('L-BFGS preconditioner has the wrong length');
    if (next) precondition = next;
  };
  refreshPreconditioner(0);
  let evaluations = 1;
  let iterations = 0;
  let stalled = false;
  while (maxAbs(g) > opts.gradientTolerance && iterations < opts.maxIterations) {
    throwIfCancelled(opts.signal);
    iterations++;
    // Two-loop recursion: d = −H·g with H the L-BFGS inverse-Hessian estimate.
    for (let k = 0; k < n; k++) d[k] = -g[k];
    for (let m = sList.length - 1; m >= 0; m--) {
      alpha[m] = rho[m] * dot(sList[m], d);
      const y = yList[m];
      for (let k = 0; k < n; k++) d[k] -= alpha[m] * y[k];
    }
    if (precondition) {
      // H0 = γ·P with γ = sᵀy / yᵀPy (1 before the first pair): P's Newton-like step, scaled by the curvature seen.
      let gamma = 1;
      if (sList.length > 0) {
        const last = sList.length - 1;
        const y = yList[last];
        let yPy = 0;
        for (let k = 0; k < n; k++) yPy += y[k] * precondition[k] * y[k];
        gamma = dot(sList[last], y) / yPy;
      }
      for (let k = 0; k < n; k++) d[k] *= gamma * precondition[k];
    } else if (sList.length > 0) {
      const last = sList.length - 1;
      const gamma = dot(sList[last], yList[last]) / dot(yList[last], yList[last]);
      for (let k = 0; k < n; k++) d[k] *= gamma;
    } else {
      // First step: scale so that it moves by at most 1 in max-norm.
      const scale = 1 / Math.max(1, maxAbs(d));
      for (let k = 0; k < n; k++) d[k] *= scale;
    }
    for (let m = 0; m < sList.length; m++) {
      const beta = rho[m] * dot(yList[m], d);
      const s = sList[m];
      for (let k = 0; k < n; k++) d[k] += (alpha[m] - beta) * s[k];
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Lost descent (round-off): restart from steepest descent.
      spare.push(...sList, ...yList);
      sList.length = yList.length = rho.length = 0;
      for (let k = 0; k < n; k++) d[k] = -g[k] / Math.max(1, maxAbs(g));
      slope = dot(g, d);
    }
    let t = 1;
    let fNew = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let k = 0; k < n; k++) xNew[k] = x[k] + t * d[k];
      fNew = await f(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
      // Preconditioned, backtrack to the minimiser of the quadratic through f(x), f'(x; d) and f(x + t·d), kept
      // within [t/10, t/2] (Nocedal & Wright's safeguarded interpolation): its Newton-like first trial, when it
      // fails, fails by much. Otherwise, and when f was not finite, halve.
      const curvature = fNew - fx - slope * t;
      t = precondition && Number.isFinite(fNew) && curvature > 0 ? Math.min(0.5 * t, Math.max(0.1 * t, (-slope * t * t) / (2 * curvature))) : 0.5 * t;
    }
    if (!accepted) break;
    const s = spare.pop() ?? new Float64Array(n);
    const y = spare.pop() ?? new Float64Array(n);
    for (let k = 0; k < n; k++) {
      s[k] = xNew[k] - x[k];
      y[k] = gNew[k] - g[k];
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (sList.length === opts.memory) {
        spare.push(sList.shift()!, yList.shift()!);
        rho.shift();
      }
      sList.push(s);
      yList.push(y);
      rho.push(1 / sy);
    } else {
      spare.push(s, y);
    }
    x.set(xNew);
    g.set(gNew);
    refreshPreconditioner(iterations);
    const decrease = fx - fNew;
    fx = fNew;
    if (opts.onIteration) await opts.onIteration(iterations, fx);
    if (decrease <= opts.relativeDecrease * Math.max(Math.abs(fNew), 1)) {
      stalled = true;
      break;
    }
  }
  const gn = maxAbs(g);
  return { x, value: fx, gradientNorm: Math.sqrt(dot(g, g)), iterations, evaluations, converged: gn <= opts.gradientTolerance || stalled };
}
