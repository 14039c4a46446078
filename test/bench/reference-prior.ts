import type { Matrix } from '../../server/src/gla/matrix';
import { ShiftedSoftmax } from '../../server/src/gla/shifted-softmax';
import { classCounts } from '../../server/src/gla/matrix';

/**
 * A faithful re-statement of the GLA reference estimator, for comparison only: 1000 fixed-step Lagrangian SGD
 * iterations on q directly, primal descent and dual ascent on the constraint Σq = 1, learning rate
 * 1e-5·(N/C)/50, no projection onto q > 0. softmax(z − log q) uses the same cached-exponential kernel as our
 * solver, so the comparison measures the algorithms, not the kernels.
 */
export function referencePriorEstimate(logits: Matrix, labels: Int32Array, iterations = 1000): { q: Float64Array; steps: number; nan: boolean } {
  const { rows: n, cols: c } = logits;
  const counts = classCounts(labels, c);
  const lr = (1e-5 * (n / c)) / 50;
  const softmax = new ShiftedSoftmax(logits, 1, null);
  const q = new Float64Array(c).fill(1 / c);
  const theta = new Float64Array(c);
  let mu = 0;
  let steps = 0;
  for (let t = 0; t < iterations; t++) {
    for (let j = 0; j < c; j++) theta[j] = Math.log(q[j]);
    if (theta.some((v) => !Number.isFinite(v))) return { q, steps, nan: true };
    softmax.evaluate(theta);
    const sums = softmax.columnSums;
    let total = 0;
    for (let j = 0; j < c; j++) {
      // ∂/∂q_c of mean CE(z − log q, y) + μ(Σq − 1) = (n_c − Σ_i p_ic)/(N·q_c) + μ
      const grad = (counts[j] - sums[j]) / (n * q[j]) + mu;
      q[j] -= lr * grad;
      total += q[j];
    }
    mu += lr * (total - 1);
    steps++;
  }
  return { q, steps, nan: q.some((v) => !Number.isFinite(v)) };
}
