import { onnxRuntime, type Ort } from '../clip/inference/onnx-runtime';
import { availableParallelism } from 'node:os';
import { OnnxType, onnxModel } from './onnx-proto';
import type { ProbeAlgebraFactory } from '../gla/probe/probe';

/**
 * Dense matrix products on ONNX Runtime's CPU GEMM (MLAS), two orders of magnitude faster than JavaScript loops:
 * the linear probe's X·Wᵀ and Rᵀ·X. Float32 products; callers keep the loss and softmax in float64.
 */
export class GemmKernels {
  private constructor(
    private readonly scoresSession: Ort.InferenceSession,
    private readonly backSession: Ort.InferenceSession,
  ) {}

  static async create(threads = availableParallelism()): Promise<GemmKernels> {
    const options: Ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Calls come back to back from an optimiser; spinning between them would only burn the other core.
      extra: { session: { 'intra_op.allow_spinning': '0' } },
    };
    const f = OnnxType.FLOAT;
    // scores = X·Wᵀ: [n, d] × [c, d]ᵀ → [n, c]
    const scores = onnxModel(
      [{ op: 'Gemm', inputs: ['x', 'w'], outputs: ['scores'], attributes: { transB: 1 } }],
      [{ name: 'x', type: f, shape: ['n', 'd'] }, { name: 'w', type: f, shape: ['c', 'd'] }],
      [{ name: 'scores', type: f, shape: ['n', 'c'] }],
      'probe_scores',
    );
    // back = Rᵀ·X: [n, c]ᵀ × [n, d] → [c, d]
    const back = onnxModel(
      [{ op: 'Gemm', inputs: ['r', 'x'], outputs: ['back'], attributes: { transA: 1 } }],
      [{ name: 'r', type: f, shape: ['n', 'c'] }, { name: 'x', type: f, shape: ['n', 'd'] }],
      [{ name: 'back', type: f, shape: ['c', 'd'] }],
      'probe_back_projection',
    );
    return new GemmKernels(await onnxRuntime().InferenceSession.create(scores, options), await onnxRuntime().InferenceSession.create(back, options));
  }

  /** out[i·c + k] = Σ_j x[i·d + j]·w[k·d + j] */
  async scores(x: Ort.Tensor, w: Float32Array, c: number, out: Float64Array): Promise<void> {
    const d = x.dims[1] as number;
    const result = await this.scoresSession.run({ x, w: new (onnxRuntime().Tensor)('float32', w, [c, d]) });
    out.set(result.scores.data as Float32Array);
  }

  /** out[k·d + j] = Σ_i r[i·c + k]·x[i·d + j] */
  async backProject(r: Float32Array, x: Ort.Tensor, c: number, out: Float64Array): Promise<void> {
    const n = x.dims[0] as number;
    const result = await this.backSession.run({ r: new (onnxRuntime().Tensor)('float32', r, [n, c]), x });
    out.set(result.back.data as Float32Array);
  }

  /** Wraps row-major features once, so every call reuses the same buffer. */
  static features(data: Float32Array, n: number, d: number): Ort.Tensor {
    return new (onnxRuntime().Tensor)('float32', data, [n, d]);
  }

  async release(): Promise<void> {
    await Promise.all([this.scoresSession.release(), this.backSession.release()]);
  }
}

/**
 * The probe's matrix products on ONNX Runtime (see gla/probe.ts's ProbeAlgebra): features go to float32 once,
 * weights and residuals per call. The softmax, loss and optimiser stay in float64 JavaScript.
 */
export function onnxProbeAlgebra(kernels: GemmKernels): ProbeAlgebraFactory {
  return (features, n, d) => {
    const x = GemmKernels.features(Float32Array.from(features), n, d);
    return {
      scores: (weights, classes, out) => kernels.scores(x, Float32Array.from(weights), classes, out),
      backProject: (residual, classes, out) => kernels.backProject(Float32Array.from(residual), x, classes, out),
    };
  };
}
