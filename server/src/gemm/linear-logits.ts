import { onnxRuntime, type Ort } from '../clip/inference/onnx-runtime';
import type { Floats, Matrix } from '../gla/matrix';
import { cpuSession } from './cpu-session';
import { OnnxType, onnxModel } from './onnx-proto';

/** A linear head over embeddings: logits = x·Wᵀ + b (W is classes × dim, row-major). */
export interface LinearHead {
  weights: Floats;
  classes: number;
  bias?: Floats;
}

/**
 * Logits of a linear head for some rows of the features: the zero-shot head s·t_c (DESIGN step 2's z) and the
 * probe's W·x + b (step 4). Callers pass rows in blocks, so the result is at most a block × classes matrix.
 */
export type LinearLogits = (features: Matrix, rows: readonly number[], head: LinearHead) => Promise<Matrix>;

/** Exact float64 products in JavaScript: small problems and the tests' reference. */
export const javascriptLinearLogits: LinearLogits = async (features, rows, head) => {
  const { cols: dim, data: x } = features;
  const { classes, weights: w, bias } = head;
  const out = new Float64Array(rows.length * classes);
  rows.forEach((r, i) => {
    const xo = r * dim;
    for (let k = 0; k < classes; k++) {
      let s = bias ? bias[k] : 0;
      const wo = k * dim;
      for (let j = 0; j < dim; j++) s += w[wo + j] * x[xo + j];
      out[i * classes + k] = s;
    }
  });
  return { data: out, rows: rows.length, cols: classes };
};

/** The same products on ONNX Runtime's CPU GEMM (MLAS) with its threads, in float32. */
export class LinearLogitsKernel {
  private constructor(private readonly session: Ort.InferenceSession) {}

  static async create(threads?: number): Promise<LinearLogitsKernel> {
    const f = OnnxType.FLOAT;
    const graph = onnxModel(
      [{ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['logits'], attributes: { transB: 1 } }],
      [{ name: 'x', type: f, shape: ['n', 'd'] }, { name: 'w', type: f, shape: ['c', 'd'] }, { name: 'b', type: f, shape: ['c'] }],
      [{ name: 'logits', type: f, shape: ['n', 'c'] }],
      'linear_logits',
    );
    return new LinearLogitsKernel(await cpuSession(graph, threads));
  }

  readonly logits: LinearLogits = async (features, rows, head) => {
    const ort = onnxRuntime();
    const { cols: dim, data } = features;
    const x = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => x.set(data.subarray(r * dim, (r + 1) * dim), i * dim));
    const w = head.weights instanceof Float32Array ? head.weights : Float32Array.from(head.weights);
    const b = head.bias ? Float32Array.from(head.bias) : new Float32Array(head.classes);
    const out = await this.session.run({
      x: new ort.Tensor('float32', x, [rows.length, dim]),
      w: new ort.Tensor('float32', w, [head.classes, dim]),
      b: new ort.Tensor('float32', b, [head.classes]),
    });
    return { data: out.logits.data as Float32Array, rows: rows.length, cols: head.classes };
  };

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Rows 0..n-1 in blocks of `size`. */
export function* rowBlocks(rows: readonly number[], size: number): Generator<number[]> {
  for (let start = 0; start < rows.length; start += size) yield rows.slice(start, start + size);
}
