import type { Matrix } from './matrix';
import { logSumExpRow } from './softmax';

/** Mean over samples of −log softmax(logits_i)[y_i], the negative log-likelihood. */
export function meanCrossEntropy(logits: Matrix, labels: Int32Array): number {
  const { data, rows, cols } = logits;
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    total += logSumExpRow(data, off, cols) - data[off + labels[i]];
  }
  return total / rows;
}
