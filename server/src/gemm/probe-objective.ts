import { onnxRuntime, type Ort } from '../clip/inference/onnx-runtime';
import type { Floats } from '../gla/matrix';
import type { ProbeAlgebraFactory, ProbeProblem } from '../gla/probe/probe';
import { cpuSession } from './cpu-session';
import { OnnxType, onnxModel } from './onnx-proto';

/** Rows per block: about 8 M logits (32 MB of float32 per intermediate), so memory stays flat as N grows. */
export function rowsPerBlock(classes: number): number {
  return Math.max(256, Math.floor((1 << 23) / Math.max(1, classes)));
}

/**
 * DESIGN step 4's data term, fused into one ONNX Runtime graph per block of rows: scores, log-softmax, the
 * cross-entropy of each row and the gradient Rᵀ·[X 1], all on MLAS's threads in float32. The bias rides as a last
 * feature column of ones, so one back-projection gives the gradients of W and b together. Only C·(D+1) numbers and
 * the rows' losses cross back into JavaScript, where the loss is summed in float64.
 */
interface Block {
  x: Ort.Tensor;
  y: Ort.Tensor;
  sw: Ort.Tensor;
  start: number;
  rows: number;
}

export class ProbeObjectiveKernel {
  private constructor(private readonly session: Ort.InferenceSession) {}

  static async create(threads?: number): Promise<ProbeObjectiveKernel> {
    const f = OnnxType.FLOAT;
    const graph = onnxModel(
      [
        { op: 'Gemm', inputs: ['x', 'w'], outputs: ['scores'], attributes: { transB: 1 } },
        { op: 'LogSoftmax', inputs: ['scores'], outputs: ['log_p'], attributes: { axis: 1 } },
        { op: 'GatherElements', inputs: ['log_p', 'y'], outputs: ['log_p_y'], attributes: { axis: 1 } },
        { op: 'Neg', inputs: ['log_p_y'], outputs: ['ce'] },
        { op: 'Exp', inputs: ['log_p'], outputs: ['p'] },
        { op: 'Mul', inputs: ['p', 'sw'], outputs: ['weighted'] },
        // ∂CE/∂logit_k = p_k − [k = y], weighted: subtract w_i at each row's label.
        { op: 'GatherElements', inputs: ['weighted', 'y'], outputs: ['weighted_y'], attributes: { axis: 1 } },
        { op: 'Sub', inputs: ['weighted_y', 'sw'], outputs: ['residual_y'] },
        { op: 'ScatterElements', inputs: ['weighted', 'y', 'residual_y'], outputs: ['residual'], attributes: { axis: 1 } },
        { op: 'Gemm', inputs: ['residual', 'x'], outputs: ['gradient'], attributes: { transA: 1 } },
      ],
      [
        { name: 'x', type: f, shape: ['n', 'd1'] },
        { name: 'w', type: f, shape: ['c', 'd1'] },
        { name: 'y', type: OnnxType.INT64, shape: ['n', 1] },
        { name: 'sw', type: f, shape: ['n', 1] },
      ],
      [
        { name: 'ce', type: f, shape: ['n', 1] },
        { name: 'gradient', type: f, shape: ['c', 'd1'] },
      ],
      'probe_objective',
    );
    return new ProbeObjectiveKernel(await cpuSession(graph, threads));
  }

  /** The last training set's blocks: the λ path fits one training set ten times, and builds its blocks once. */
  private cached?: { features: Floats; labels: Int32Array; sampleWeights: Float64Array; mean: Float64Array; blocks: Block[] };

  /** The fused algebra for trainLinearProbe: features (centred), labels and weights go to float32 tensors once per training set. */
  algebra(): ProbeAlgebraFactory {
    return (features, n, d, problem) => this.over(features, n, d, problem);
  }

  private blocksFor(features: Floats, n: number, d: number, problem: ProbeProblem): Block[] {
    const c = this.cached;
    const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => v === b[i]);
    if (c && c.features === features && c.labels === problem.labels && same(c.sampleWeights, problem.sampleWeights) && same(c.mean, problem.mean)) return c.blocks;
    const ort = onnxRuntime();
    const block = rowsPerBlock(problem.classes);
    const d1 = d + 1;
    const { mean } = problem;
    const blocks: Block[] = [];
    for (let start = 0; start < n; start += block) {
      const rows = Math.min(block, n - start);
      const x = new Float32Array(rows * d1);
      for (let i = 0; i < rows; i++) {
        const src = (start + i) * d;
        for (let j = 0; j < d; j++) x[i * d1 + j] = features[src + j] - mean[j];
        x[i * d1 + d] = 1;
      }
      const y = BigInt64Array.from(problem.labels.subarray(start, start + rows), (v) => BigInt(v));
      const sw = Float32Array.from(problem.sampleWeights.subarray(start, start + rows));
      blocks.push({ x: new ort.Tensor('float32', x, [rows, d1]), y: new ort.Tensor('int64', y, [rows, 1]), sw: new ort.Tensor('float32', sw, [rows, 1]), start, rows });
    }
    // One training set is kept: the next one (a fold) replaces it, so memory holds one set of blocks.
    this.cached = { features, labels: problem.labels, sampleWeights: Float64Array.from(problem.sampleWeights), mean: Float64Array.from(mean), blocks };
    return blocks;
  }

  private over(features: Floats, n: number, d: number, problem: ProbeProblem) {
    const ort = onnxRuntime();
    const { classes } = problem;
    const d1 = d + 1;
    const blocks = this.blocksFor(features, n, d, problem);
    const wa = new Float32Array(classes * d1);
    const session = this.session;
    return {
      /** Σ_i w_i·CE(W·x_i + b, y_i); writes ∂/∂W (C×D) and ∂/∂b (C) into `gradient` = [W | b] layout. */
      async dataTerm(params: Float64Array, gradient: Float64Array): Promise<number> {
        const biasOff = classes * d;
        for (let k = 0; k < classes; k++) {
          for (let j = 0; j < d; j++) wa[k * d1 + j] = params[k * d + j];
          wa[k * d1 + d] = params[biasOff + k];
        }
        const w = new ort.Tensor('float32', wa, [classes, d1]);
        gradient.fill(0);
        let loss = 0;
        for (const b of blocks) {
          const out = await session.run({ x: b.x, w, y: b.y, sw: b.sw });
          const ce = out.ce.data as Float32Array;
          for (let i = 0; i < b.rows; i++) loss += problem.sampleWeights[b.start + i] * ce[i];
          const g = out.gradient.data as Float32Array;
          for (let k = 0; k < classes; k++) {
            for (let j = 0; j < d; j++) gradient[k * d + j] += g[k * d1 + j];
            gradient[biasOff + k] += g[k * d1 + d];
          }
          out.ce.dispose?.();
          out.gradient.dispose?.();
        }
        return loss;
      },
    };
  }

  async release(): Promise<void> {
    this.cached = undefined;
    await this.session.release();
  }
}
