import { expNonPositive } from './fast-exp';
import type { Floats } from '../matrix';

/**
 * DESIGN step 4's loss, row by row: turns the probe's scores X·Wᵀ (n × classes, in `buffer`) into the weighted
 * cross-entropy residuals w_i·(softmax(s_i + b) − e_y) in place, adds their column sums to `biasGradient`, and
 * returns Σ_i w_i·CE(s_i + b, y_i). One exp per entry and no second n × classes matrix: at 10 000 classes this
 * pass, not the matrix products, is most of the probe's cost. A float32 buffer (ONNX Runtime's GEMM) holds the
 * same values that algebra would round to anyway; sums and the loss stay in float64.
 */
export function softmaxResidualsInPlace(
  buffer: Floats,
  bias: Float64Array,
  labels: Int32Array,
  sampleWeights: Float64Array,
  classes: number,
  biasGradient: Float64Array,
): number {
  const n = labels.length;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const off = i * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) {
      const s = buffer[off + k] + bias[k];
      if (s > max) max = s;
    }
    const y = labels[i];
    const scoreOfLabel = buffer[off + y] + bias[y];
    let sum = 0;
    for (let k = 0; k < classes; k++) {
      const e = expNonPositive(buffer[off + k] + bias[k] - max);
      buffer[off + k] = e;
      sum += e;
    }
    const wi = sampleWeights[i];
    loss += wi * (max + Math.log(sum) - scoreOfLabel);
    // ∂CE/∂logit_k = p_k − [k = y], weighted.
    const scale = wi / sum;
    for (let k = 0; k < classes; k++) {
      const r = buffer[off + k] * scale;
      buffer[off + k] = r;
      biasGradient[k] += r;
    }
    buffer[off + y] -= wi;
    biasGradient[y] -= wi;
  }
  return loss;
}
