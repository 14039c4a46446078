// A worker thread that owns CLIP's ONNX Runtime sessions, so inference (synchronous inside onnxruntime-node's run)
// never blocks the language server's main thread. Exposed over comlink; the main side is ../inference-thread.ts.
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter';
import { ExecutionProviderSelector, type ExecutionProviderRequest } from '../execution-providers';
import {
  createTextSession, createVisionSession, embedImages, embedTexts, releaseSession, type ClipSession, type ImageOutput, type TextSession,
  type VisionSession,
} from '../onnx-session';

export interface WorkerSessionOptions {
  provider?: ExecutionProviderRequest;
  threads?: number;
  spinning?: boolean;
  /** Image models only: CLIP's `image_embeds` (default) or an image classifier's `logits`. */
  output?: ImageOutput;
}

/** What the main thread learns about an opened session: plain data, no handles. */
export interface SessionSummary {
  tower: 'vision' | 'text';
  path: string;
  provider: string;
  /** Set when the requested provider fell back to CPU; the main thread reports it (once). */
  fallback?: { requested: string; reason: string; message: string };
  threads: number;
  dim?: number;
  imageSize?: { height: number; width: number };
  hasAttentionMask?: boolean;
  contextLength?: number;
}

// Fallbacks are reported by the main thread's selector, which sees every worker.
const selector = new ExecutionProviderSelector(() => undefined);
let vision: VisionSession | undefined;
let text: TextSession | undefined;

function summary(s: ClipSession): SessionSummary {
  const { tower, path, provider, fallback, threads, dim } = s;
  return s.tower === 'vision'
    ? { tower, path, provider, fallback, threads, dim, imageSize: s.imageSize }
    : { tower, path, provider, fallback, threads, dim, hasAttentionMask: s.hasAttentionMask, contextLength: s.contextLength };
}

/** A result buffer the worker can hand over without copying. */
function owned(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice();
}

const api = {
  async openVision(path: string, options: WorkerSessionOptions = {}): Promise<SessionSummary> {
    if (vision) await releaseSession(vision);
    vision = undefined;
    vision = await createVisionSession(path, { ...options, selector });
    return summary(vision);
  },

  async openText(path: string, options: WorkerSessionOptions = {}): Promise<SessionSummary> {
    if (text) await releaseSession(text);
    text = undefined;
    text = await createTextSession(path, { ...options, selector });
    return summary(text);
  },

  async embedImages(pixels: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
    if (!vision) throw new Error('inference worker: no vision model is open');
    const out = owned(await embedImages(vision, pixels, n, h, w));
    return Comlink.transfer(out, [out.buffer]);
  },

  async embedTexts(ids: BigInt64Array, mask: BigInt64Array, n: number, len: number): Promise<Float32Array> {
    if (!text) throw new Error('inference worker: no text model is open');
    const out = owned(await embedTexts(text, ids, mask, n, len));
    return Comlink.transfer(out, [out.buffer]);
  },

  async close(): Promise<void> {
    for (const s of [vision, text]) if (s) await releaseSession(s);
    vision = text = undefined;
  },
};

export type InferenceWorkerApi = typeof api;

if (parentPort) Comlink.expose(api, nodeEndpoint(parentPort));
