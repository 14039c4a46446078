// Worker thread that decodes and preprocesses images, exposed over comlink; one bad file yields an error result, never a dead worker.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter';
import { describeError } from '../../../errors';
import { ImageError, type ImageErrorReason } from '../image-error';
import { preprocessImage, preprocessInto, type PreprocessOptions } from '../preprocess';
import type { PreprocessorConfig } from '../preprocessor-config';
import { configureForDecodeWorker } from '../libvips';

// Parallelism comes from the pool's workers: one libvips thread each leaves the other cores to ONNX Runtime, and
// no operation cache keeps decoded files in memory on long runs.
configureForDecodeWorker();

export type WorkerFailure = { ok: false; error: string; reason?: ImageErrorReason };
export type WorkerResult = { ok: true; pixels: Float32Array } | WorkerFailure;
export type WorkerSlotResult = { ok: true } | WorkerFailure;

function failure(err: unknown): WorkerFailure {
  return err instanceof ImageError ? { ok: false, error: err.message, reason: err.reason } : { ok: false, error: describeError(err) };
}

const api = {
  /** One image as a new [3,H,W] tensor, its buffer transferred (not copied) back. */
  async preprocess(path: string, config: PreprocessorConfig, options: PreprocessOptions = {}): Promise<WorkerResult> {
    try {
      const pixels = await preprocessImage(path, config, options);
      return Comlink.transfer({ ok: true, pixels }, [pixels.buffer as ArrayBuffer]);
    } catch (err) {
      return failure(err);
    }
  },

  /** One image written into a slot of a batch tensor shared with the caller (a Float32Array on a SharedArrayBuffer). */
  async preprocessInto(
    path: string,
    config: PreprocessorConfig,
    target: Float32Array,
    offset: number,
    options: PreprocessOptions = {},
  ): Promise<WorkerSlotResult> {
    try {
      await preprocessInto(path, config, target, offset, options);
      return { ok: true };
    } catch (err) {
      return failure(err);
    }
  },
};

export type PreprocessWorkerApi = typeof api;

if (parentPort) Comlink.expose(api, nodeEndpoint(parentPort));
