import type { Matrix } from './matrix';
import { logSoftmax } from './softmax';

/**
 * A class without labelled images has p_l = 0 in DESIGN step 1: its column drops out of the softmax and the data
 * say nothing of its q. Fitting the labelled classes alone is then the same problem, and placing the others at
 * their geometric mean leaves every labelled class's q, relative to the rest, exactly as without it.
 */

/** The classes with at least one labelled image. */
export function labelledClasses(counts: ArrayLike<number>): number[] {
  const kept: number[] = [];
  for (let j = 0; j < counts.length; j++) if (counts[j] > 0) kept.push(j);
  return kept;
}

/** The columns `columns` of a matrix, in that order. */
export function takeColumns(m: Matrix, columns: readonly number[]): Matrix {
  const c = columns.length;
  const out = new Float64Array(m.rows * c);
  for (let i = 0; i < m.rows; i++) {
    const from = i * m.cols;
    for (let k = 0; k < c; k++) out[i * c + k] = m.data[from + columns[k]];
  }
  return { data: out, rows: m.rows, cols: c };
}

/** Labels re-indexed into `columns` (every label must be one of them). */
export function remapLabels(labels: Int32Array, columns: readonly number[], classes: number): Int32Array {
  const position = new Int32Array(classes).fill(-1);
  columns.forEach((j, k) => (position[j] = k));
  return Int32Array.from(labels, (y) => position[y]);
}

/** log q over all classes from log q over `columns`: the rest at the columns' mean log q, then renormalised. */
export function expandLogPrior(logPrior: ArrayLike<number>, columns: readonly number[], classes: number): Float64Array {
  let mean = 0;
  for (let k = 0; k < columns.length; k++) mean += logPrior[k];
  mean /= columns.length;
  const theta = new Float64Array(classes).fill(mean);
  columns.forEach((j, k) => (theta[j] = logPrior[k]));
  return logSoftmax(theta);
}
