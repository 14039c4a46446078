// The prompt lab runs in one long-lived worker thread, so a second edit finds the image embeddings and the text
// tower already loaded, and the LSP loop never waits on a fit or the text tower.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CancelledError, describeError } from '../../errors';
import type { PromptLabRequest, PromptLabResult } from '../../engine/prompt-lab/lab-request';
import { forwardLines, reviveError, serverEntryFile } from './analysis-thread';

const LAB_FLAG = 'glaPromptLab';
// An idle lab gives its memory back (the embeddings of a large dataset); the next edit opens it again.
const IDLE_MS = 10 * 60_000;

type ToLab = { type: 'evaluate'; id: number; request: PromptLabRequest } | { type: 'cancel'; id: number };
type FromLab = { type: 'done'; id: number; result: PromptLabResult } | { type: 'failed'; id: number; error: { name: string; message: string; stack?: string } };

export class PromptLabThread {
  private worker?: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: PromptLabResult): void; reject(e: Error): void }>();
  private idle?: NodeJS.Timeout;

  constructor(private readonly onOutput: (line: string) => void = () => undefined, private readonly entryFile = serverEntryFile()) {}

  /** One evaluation; `signal` cancels it (the lab also cancels it by itself when a newer one arrives). */
  evaluate(request: PromptLabRequest, signal?: AbortSignal): Promise<PromptLabResult> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    const worker = this.start();
    const id = this.nextId++;
    clearTimeout(this.idle);
    return new Promise<PromptLabResult>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'cancel', id } satisfies ToLab);
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
        if (this.pending.size === 0) this.idle = setTimeout(() => this.stop(), IDLE_MS).unref();
      };
      this.pending.set(id, {
        resolve: (r) => (settle(), resolve(r)),
        reject: (e) => (settle(), reject(e)),
      });
      worker.postMessage({ type: 'evaluate', id, request } satisfies ToLab);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.entryFile, { workerData: { [LAB_FLAG]: true }, stdout: true, stderr: true });
    worker.unref();
    forwardLines(worker.stdout, this.onOutput);
    forwardLines(worker.stderr, this.onOutput);
    worker.on('message', (m: FromLab) => {
      const waiting = this.pending.get(m.id);
      if (!waiting) return;
      if (m.type === 'done') waiting.resolve(m.result);
      else waiting.reject(reviveError(m.error));
    });
    const lost = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of [...this.pending.values()]) w.reject(new Error(why));
    };
    worker.on('error', (err) => lost(`the prompt lab's thread crashed: ${describeError(err)}`));
    worker.on('exit', (code) => lost(`the prompt lab's thread exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }
}

/** Inside the lab's worker thread: true when this thread was started to be the prompt lab. */
export function isPromptLabThread(): boolean {
  return !isMainThread && Boolean((workerData as Record<string, unknown> | null)?.[LAB_FLAG]);
}

/** The worker-thread side: the engine (and ONNX Runtime) loads only here; each request answers once. */
export function runPromptLabFromThisThread(): void {
  const port = parentPort!;
  const controllers = new Map<number, AbortController>();
  const lab = import('../../engine/prompt-lab/prompt-lab').then((m) => new m.PromptLab());
  port.on('message', (m: ToLab) => {
    if (m.type === 'cancel') {
      controllers.get(m.id)?.abort();
      return;
    }
    const controller = new AbortController();
    controllers.set(m.id, controller);
    lab
      .then((l) => l.evaluate(m.request, controller.signal))
      .then(
        (result) => port.postMessage({ type: 'done', id: m.id, result } satisfies FromLab),
        (err: unknown) => {
          const e = err instanceof Error ? err : new Error(String(err));
          port.postMessage({ type: 'failed', id: m.id, error: { name: e.name, message: e.message, stack: e.stack } } satisfies FromLab);
        },
      )
      .finally(() => controllers.delete(m.id));
  });
}
