import type { Floats } from './matrix';

/** log Σ_j exp(x[off + j]) over one row of length `cols`, shifted by the row max so it never overflows. */
export function logSumExpRow(x: Floats, off: number, cols: number): number {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) if (x[off + j] > max) max = x[off + j];
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < cols; j++) sum += Math.exp(x[off + j] - max);
  return max + Math.log(sum);
}

/** Writes softmax(x row) into out at outOff; returns the row's log-sum-exp. */
export function softmaxRow(x: Floats, off: number, cols: number, out: Floats, outOff: number): number {
  let max = -Infinity;
  for (let j = 0; j < cols; j++) if (x[off + j] > max) max = x[off + j];
  let sum = 0;
  for (let j = 0; j < cols; j++) {
    const e = Math.exp(x[off + j] - max);
    out[outOff + j] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let j = 0; j < cols; j++) out[outOff + j] *= inv;
  return max + Math.log(sum);
}

/** Row-wise softmax of a rows×cols matrix into a new float64 array. */
export function softmaxRows(x: Floats, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) softmaxRow(x, i * cols, cols, out, i * cols);
  return out;
}

/** Row-wise log-softmax into a new float64 array. */
export function logSoftmaxRows(x: Floats, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const lse = logSumExpRow(x, off, cols);
    for (let j = 0; j < cols; j++) out[off + j] = x[off + j] - lse;
  }
  return out;
}

/** log-softmax of a vector: log q from unnormalised θ. */
export function logSoftmax(theta: Floats): Float64Array {
  return logSoftmaxRows(theta, 1, theta.length);
}
