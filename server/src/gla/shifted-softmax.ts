import type { Matrix } from './matrix';

/** How far θ may drift from the base before the exponentials are recomputed; e^-100 keeps all sums exact in float64. */
const REBASE_RANGE = 100;

/**
 * softmax(s_i − θ) for every row, for many θ, with one exp pass instead of one per θ.
 *
 * Scores are s_ic = β·z_ic + bias_c. We cache E_ic = exp(s_ic − base_c − m_i), m_i the row max, so that for
 * θ = base + δ, p_ic = E_ic·w_c / Z_i with w_c = exp(−(δ_c − min δ)) ∈ (0, 1] and Z_i = Σ_c E_ic·w_c.
 * Every pass is then a multiply-add over E; when δ spreads wider than REBASE_RANGE the base moves to θ.
 */
export class ShiftedSoftmax {
  readonly rows: number;
  readonly cols: number;
  private readonly e: Float64Array;
  private readonly rowMax: Float64Array;
  private readonly base: Float64Array;
  private readonly w: Float64Array;
  private readonly u: Float64Array;
  private readonly acc: Float64Array;
  private readonly invZ: Float64Array;
  /** Σ_i p_ic at the last evaluated θ. */
  readonly columnSums: Float64Array;
  /** Σ_i p_ic² at the last evaluated θ (the Hessian's diagonal needs it). */
  readonly columnSquareSums: Float64Array;
  private beta = 1;
  private bias: Float64Array;
  private rebases = 0;

  constructor(private readonly logits: Matrix, inverseTemperature: number, bias: Float64Array | null) {
    const { rows, cols } = logits;
    this.rows = rows;
    this.cols = cols;
    this.e = new Float64Array(rows * cols);
    this.rowMax = new Float64Array(rows);
    this.base = new Float64Array(cols);
    this.w = new Float64Array(cols);
    this.u = new Float64Array(cols);
    this.acc = new Float64Array(cols);
    this.invZ = new Float64Array(rows);
    this.columnSums = new Float64Array(cols);
    this.columnSquareSums = new Float64Array(cols);
    this.bias = bias ?? new Float64Array(cols);
    this.beta = inverseTemperature;
    this.rebase(this.base);
  }

  /** Number of exp passes so far (for benchmarks and tests). */
  get expPasses(): number {
    return this.rebases;
  }

  get inverseTemperature(): number {
    return this.beta;
  }

  /** Changes β; the next evaluate recomputes the exponentials around `theta`. */
  setInverseTemperature(beta: number, theta: Float64Array): void {
    this.beta = beta;
    this.rebase(theta);
  }

  /** Recomputes E around base = θ: the one pass that calls exp. */
  rebase(theta: Float64Array): void {
    this.rebases++;
    const { rows, cols, e, rowMax, beta, bias } = this;
    const z = this.logits.data;
    const shift = this.u;
    for (let j = 0; j < cols; j++) {
      this.base[j] = theta[j];
      shift[j] = bias[j] - theta[j];
    }
    for (let i = 0; i < rows; i++) {
      const off = i * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) {
        const s = beta * z[off + j] + shift[j];
        e[off + j] = s;
        if (s > max) max = s;
      }
      rowMax[i] = max;
      for (let j = 0; j < cols; j++) e[off + j] = Math.exp(e[off + j] - max);
    }
  }

  /**
   * Prepares the weights for θ and returns Σ_i logsumexp_c(s_ic − θ_c); fills columnSums and columnSquareSums.
   */
  evaluate(theta: Float64Array): number {
    const { rows, cols, e, w, acc, invZ } = this;
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = 0; j < cols; j++) {
      const d = theta[j] - this.base[j];
      if (d < lo) lo = d;
      if (d > hi) hi = d;
    }
    if (hi - lo > REBASE_RANGE) {
      this.rebase(theta);
      lo = 0;
    }
    for (let j = 0; j < cols; j++) w[j] = Math.exp(-(theta[j] - this.base[j] - lo));
    const sq = this.columnSquareSums;
    acc.fill(0);
    sq.fill(0);
    let lse = 0;
    for (let i = 0; i < rows; i++) {
      const off = i * cols;
      let z = 0;
      for (let j = 0; j < cols; j++) z += e[off + j] * w[j];
      const r = 1 / z;
      invZ[i] = r;
      lse += this.rowMax[i] - lo + Math.log(z);
      for (let j = 0; j < cols; j++) {
        const t = e[off + j] * r;
        acc[j] += t;
        sq[j] += t * t;
      }
    }
    for (let j = 0; j < cols; j++) {
      this.columnSums[j] = w[j] * acc[j];
      sq[j] *= w[j] * w[j];
    }
    return lse;
  }

  /** out = Σ_i (diag p_i − p_i p_iᵀ)·v at the last evaluated θ: one pass over E. */
  hessianTimes(v: Float64Array, out: Float64Array): void {
    const { rows, cols, e, w, u, acc, invZ } = this;
    for (let j = 0; j < cols; j++) u[j] = w[j] * v[j];
    acc.fill(0);
    for (let i = 0; i < rows; i++) {
      const off = i * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += e[off + j] * u[j];
      const k = s * invZ[i] * invZ[i];
      for (let j = 0; j < cols; j++) acc[j] += e[off + j] * k;
    }
    for (let j = 0; j < cols; j++) out[j] = this.columnSums[j] * v[j] - w[j] * acc[j];
  }

  /** Σ_i Σ_c p_ic·z_ic at the last evaluated θ: the model's expected raw logit, for the temperature's derivative. */
  expectedLogitSum(): number {
    const { rows, cols, e, w, invZ } = this;
    const z = this.logits.data;
    let total = 0;
    for (let i = 0; i < rows; i++) {
      const off = i * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += e[off + j] * w[j] * z[off + j];
      total += s * invZ[i];
    }
    return total;
  }
}
