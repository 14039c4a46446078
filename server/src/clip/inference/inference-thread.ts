// The main thread's handle on an inference worker (workers/inference-worker.ts): same calls as onnx-session.ts, but
// onnxruntime runs on the worker's thread, so the language server keeps answering while a batch is embedded.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter';
import { UserError } from '../../errors';
import { defaultProviderSelector, type ExecutionProviderSelector, type ProviderFallback } from './execution-providers';
import type { InferenceWorkerApi, SessionSummary, WorkerSessionOptions } from './workers/inference-worker';

export type { SessionSummary, WorkerSessionOptions } from './workers/inference-worker';

/** The worker's script: out/server/src/clip/inference/workers/ after tsc, dist/workers/ in the bundle (beside dist/cli.js). */
export function inferenceWorkerPath(): string {
  return join(__dirname, 'workers', 'inference-worker.js');
}

export interface InferenceThreadOptions {
  /** Reports provider fallbacks (once per provider); default: the per-process selector. */
  selector?: ExecutionProviderSelector;
  workerPath?: string;
}

export interface EmbedCallOptions {
  /** Move the input's buffer to the worker instead of copying it; the caller's array is detached afterwards. */
  transfer?: boolean;
}

/** Sessions this process has opened, by tower: runs whose embeddings are all cached must leave these unchanged. */
export const sessionsOpened = { vision: 0, text: 0 };

export class InferenceThread {
  private closed = false;

  private constructor(
    private readonly worker: Worker,
    private readonly api: Comlink.Remote<InferenceWorkerApi>,
    private readonly died: Promise<never>,
    private readonly selector: ExecutionProviderSelector,
  ) {}

  static start(options: InferenceThreadOptions = {}): InferenceThread {
    const worker = new Worker(options.workerPath ?? inferenceWorkerPath());
    let thread: InferenceThread | undefined;
    // A crashed worker would leave comlink calls pending forever; every call races this instead.
    const died = new Promise<never>((_, reject) => {
      worker.once('error', (err) => reject(new Error(`inference worker failed: ${err.message}`)));
      worker.once('exit', (code) => {
        if (!thread?.closed) reject(new Error(`inference worker exited (code ${code})`));
      });
    });
    died.catch(() => undefined);
    const api = Comlink.wrap<InferenceWorkerApi>(nodeEndpoint(worker));
    thread = new InferenceThread(worker, api, died, options.selector ?? defaultProviderSelector());
    return thread;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('inference worker is closed');
    try {
      return await Promise.race([work(), this.died]);
    } catch (err) {
      // comlink rebuilds errors as plain Errors; restore the user-facing kind by name.
      if (err instanceof Error && err.name === 'UserError' && !(err instanceof UserError)) throw new UserError(err.message);
      throw err;
    }
  }

  private relay(summary: SessionSummary): SessionSummary {
    if (summary.fallback) this.selector.noteFallback(summary.fallback as ProviderFallback);
    return summary;
  }

  async openVision(path: string, options: WorkerSessionOptions = {}): Promise<SessionSummary> {
    sessionsOpened.vision++;
    return this.relay(await this.call(() => this.api.openVision(path, options)));
  }

  async openText(path: string, options: WorkerSessionOptions = {}): Promise<SessionSummary> {
    sessionsOpened.text++;
    return this.relay(await this.call(() => this.api.openText(path, options)));
  }

  /** As onnx-session's embedImages, on the worker. */
  embedImages(pixels: Float32Array, n: number, h: number, w: number, options: EmbedCallOptions = {}): Promise<Float32Array> {
    const arg = options.transfer ? Comlink.transfer(pixels, [movable(pixels)]) : pixels;
    return this.call(() => this.api.embedImages(arg, n, h, w));
  }

  /** As onnx-session's embedTexts, on the worker. */
  embedTexts(ids: BigInt64Array, mask: BigInt64Array, n: number, len: number, options: EmbedCallOptions = {}): Promise<Float32Array> {
    const args = options.transfer ? Comlink.transfer([ids, mask], [movable(ids), movable(mask)]) : [ids, mask];
    return this.call(() => this.api.embedTexts(args[0], args[1], n, len));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.call(() => this.api.close());
    } finally {
      this.closed = true;
      this.api[Comlink.releaseProxy]();
      await this.worker.terminate();
    }
  }
}

function movable(a: Float32Array | BigInt64Array): ArrayBuffer {
  if (!(a.buffer instanceof ArrayBuffer) || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) {
    throw new RangeError('transfer: the array must own its whole ArrayBuffer');
  }
  return a.buffer;
}
