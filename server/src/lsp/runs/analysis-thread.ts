// Analysis jobs run in a worker thread, so the LSP loop answers hovers and edits while a run computes for minutes.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CancelledError, UserError, describeError } from '../../errors';
import type { AnalysisHooks, AnalysisProgress, AnalysisRequest, AnalysisResult } from '../../engine/analyze';
import type { ClassifyRequest } from '../../engine/classify';
import type { ClassifyResult } from '../../engine/classify';
import type { ExportRequest, ExportResult } from '../../engine/export/export-classifier';

export type AnalysisJob = { kind: 'analyze'; request: AnalysisRequest } | { kind: 'classify'; request: ClassifyRequest } | { kind: 'export'; request: ExportRequest };
type JobResult<J extends AnalysisJob> = J extends { kind: 'analyze' } ? AnalysisResult : J extends { kind: 'export' } ? ExportResult : ClassifyResult;

type FromWorker =
  | { type: 'progress'; progress: AnalysisProgress }
  | { type: 'notice'; message: string }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; error: { name: string; message: string; stack?: string } };

export interface JobHooks extends AnalysisHooks {
  /** Lines the job printed (stdout and stderr never reach the LSP stream). */
  onOutput?(line: string): void;
}

// After a cancel, the engine gets this long to stop at its next check before the thread is terminated.
const CANCEL_GRACE_MS = 5_000;
const WORKER_FLAG = 'glaAnalysisJob';

/** Runs one job in a fresh worker thread started from the server's own entry file. */
export function runJobInThread<J extends AnalysisJob>(job: J, hooks: JobHooks = {}, entryFile = serverEntryFile()): Promise<JobResult<J>> {
  return new Promise((resolve, reject) => {
    if (hooks.signal?.aborted) {
      reject(new CancelledError());
      return;
    }
    const worker = new Worker(entryFile, { workerData: { [WORKER_FLAG]: job }, stdout: true, stderr: true });
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(graceTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => {
      worker.postMessage({ type: 'cancel' });
      graceTimer = setTimeout(() => settle(() => reject(new CancelledError())), CANCEL_GRACE_MS);
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    forwardLines(worker.stdout, hooks.onOutput);
    forwardLines(worker.stderr, hooks.onOutput);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') hooks.onProgress?.(m.progress);
      else if (m.type === 'notice') hooks.onNotice?.(m.message);
      else if (m.type === 'done') settle(() => resolve(m.result as JobResult<J>));
      else if (m.type === 'failed') settle(() => reject(reviveError(m.error)));
    });
    worker.on('error', (err) => settle(() => reject(new Error(`the analysis thread crashed: ${describeError(err)}`))));
    worker.on('exit', (code) => settle(() => reject(new Error(`the analysis thread exited (code ${code}) before finishing`))));
  });
}

/** The bundled server (dist/server.js) starts jobs when it finds itself in a worker thread with a job. */
export function serverEntryFile(): string {
  return require.main?.filename ?? process.argv[1];
}

export function forwardLines(stream: NodeJS.ReadableStream | null, onLine: ((line: string) => void) | undefined): void {
  if (!stream) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine?.(line);
  });
}

export function reviveError(e: { name: string; message: string; stack?: string }): Error {
  if (e.name === 'UserError') return new UserError(e.message);
  if (e.name === 'CancelledError') return new CancelledError(e.message);
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

/** Inside a job's worker thread: true when this thread was started to run a job (server.ts then runs it). */
export function isJobThread(): boolean {
  return !isMainThread && Boolean((workerData as Record<string, unknown> | null)?.[WORKER_FLAG]);
}

/** The worker-thread side: runs the job with an AbortSignal the main thread can trip, and posts back the outcome. */
export function runJobFromThisThread(run: (job: AnalysisJob, hooks: AnalysisHooks) => Promise<unknown> = runJob): void {
  const port = parentPort!;
  const job = (workerData as Record<string, AnalysisJob>)[WORKER_FLAG];
  const controller = new AbortController();
  port.on('message', (m: { type: string }) => {
    if (m.type === 'cancel') controller.abort();
  });
  const post = (m: FromWorker) => port.postMessage(m);
  run(job, {
    signal: controller.signal,
    onProgress: (progress) => post({ type: 'progress', progress }),
    onNotice: (message) => post({ type: 'notice', message }),
  }).then(
    (result) => post({ type: 'done', result }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      post({ type: 'failed', error: { name: e.name, message: e.message, stack: e.stack } });
    },
  );
}

/** The engine, and with it ONNX Runtime and libvips, loads only here, inside the job's thread. */
async function runJob(job: AnalysisJob, hooks: AnalysisHooks): Promise<unknown> {
  if (job.kind === 'analyze') return (await import('../../engine/analyze')).analyzeDataset(job.request, hooks);
  if (job.kind === 'export') return (await import('../../engine/export/export-classifier')).exportClassifier(job.request, hooks);
  return (await import('../../engine/classify')).classifyFolder(job.request, hooks);
}
