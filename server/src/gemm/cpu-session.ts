import { availableParallelism } from 'node:os';
import { onnxRuntime, type Ort } from '../clip/inference/onnx-runtime';

/** A session for one of our in-memory graphs on ONNX Runtime's CPU provider, with every core for MLAS's GEMM. */
export function cpuSession(graph: Uint8Array, threads = availableParallelism()): Promise<Ort.InferenceSession> {
  return onnxRuntime().InferenceSession.create(graph, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Calls come back to back from an optimiser or a block loop; spinning between them would only burn the other core.
    extra: { session: { 'intra_op.allow_spinning': '0' } },
  });
}
