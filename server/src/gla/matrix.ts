import { UserError } from '../errors';

/** Dense row-major numbers; float32 straight from .npy files or ONNX Runtime, float64 for our own results. */
export type Floats = Float32Array | Float64Array;

/** A row-major rows×cols matrix over a typed array: logits are samples × classes. */
export interface Matrix {
  readonly data: Floats;
  readonly rows: number;
  readonly cols: number;
}

export function matrix(data: Floats, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) throw new Error(`matrix: ${data.length} values for ${rows}×${cols}`);
  return { data, rows, cols };
}

/** Rejects NaN and ±Inf, naming the first offending entry: they would silently poison every estimate. */
export function assertFinite(m: Matrix, what: string): void {
  const { data, cols } = m;
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      throw new UserError(`${what} contains ${data[k]} at row ${Math.floor(k / cols)}, column ${k % cols}; every value must be finite`);
    }
  }
}

/** Rejects labels outside 0..classes-1 and a count that does not match the logits. */
export function assertLabels(labels: Int32Array, rows: number, classes: number, what = 'labels'): void {
  if (labels.length !== rows) {
    throw new UserError(`${what} has ${labels.length} entries but the logits have ${rows} rows`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!(y >= 0 && y < classes)) {
      throw new UserError(`${what}[${i}] = ${y} is out of range: there are ${classes} classes (0..${classes - 1})`);
    }
  }
}

/** Samples per class. */
export function classCounts(labels: Int32Array, classes: number): Float64Array {
  const counts = new Float64Array(classes);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/** Index of the largest entry of row `row` (first on ties, as numpy's argmax). */
export function argmaxRow(data: Floats, row: number, cols: number): number {
  const off = row * cols;
  let best = 0;
  let bestValue = data[off];
  for (let j = 1; j < cols; j++) {
    if (data[off + j] > bestValue) {
      bestValue = data[off + j];
      best = j;
    }
  }
  return best;
}

/** Argmax of every row. */
export function predictions(m: Matrix): Int32Array {
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = argmaxRow(m.data, i, m.cols);
  return out;
}

/** The rows `indices` of a matrix, in that order, as a new matrix of the same precision. */
export function takeRows(m: Matrix, indices: readonly number[]): Matrix {
  const out = m.data instanceof Float32Array ? new Float32Array(indices.length * m.cols) : new Float64Array(indices.length * m.cols);
  indices.forEach((i, k) => {
    for (let j = 0; j < m.cols; j++) out[k * m.cols + j] = m.data[i * m.cols + j];
  });
  return { data: out, rows: indices.length, cols: m.cols };
}

/** The entries `indices` of a label vector. */
export function takeLabels(labels: Int32Array, indices: readonly number[]): Int32Array {
  return Int32Array.from(indices, (i) => labels[i]);
}
