// A pool of worker threads that decode and preprocess images off the caller's thread (the LSP loop never blocks).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter';
import { CancelledError } from '../../errors';
import type { PreprocessOptions } from './preprocess';
import { tensorSize, type PreprocessorConfig } from './preprocessor-config';
import type { PreprocessWorkerApi, WorkerFailure, WorkerResult, WorkerSlotResult } from './workers/preprocess-worker';

/** One file's outcome: its tensor, or why it could not be read (`reason` is set for image problems). */
export type PreprocessResult = WorkerResult;
/** One file's outcome when writing into a shared batch. */
export type SlotResult = WorkerSlotResult;

export interface PreprocessPoolOptions {
  /** Worker threads; default min(4, available cores). */
  workers?: number;
  /** Images in flight per worker: 2 lets one decode while the other normalises. */
  perWorker?: number;
  /** Decompression-bomb limit in pixels per image (default DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /** Worker script; default workers/preprocess-worker.js beside this file (tsc output and the esbuild bundle alike). */
  workerPath?: string;
}

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Both tsc (out/server/src/clip/images/workers/) and the bundle (dist/workers/ beside dist/cli.js) put the worker here. */
export function defaultWorkerPath(): string {
  return join(__dirname, 'workers', 'preprocess-worker.js');
}

interface Slot {
  worker: Worker;
  api: Comlink.Remote<PreprocessWorkerApi>;
  inFlight: Set<Task>;
}

interface Task {
  run: (api: Comlink.Remote<PreprocessWorkerApi>) => Promise<PreprocessResult | SlotResult>;
  done: (result: PreprocessResult | SlotResult) => void;
  /** Workers this task was on when they died; a file that kills two workers is reported, not retried again. */
  crashes: number;
}

export class PreprocessPool {
  readonly size: number;
  private readonly perWorker: number;
  private readonly maxPixels?: number;
  private readonly workerPath: string;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private closed = false;
  /** Set when workers cannot start at all; every call then fails with it instead of respawning forever. */
  private broken?: Error;
  /** Worker deaths since a task last completed: a run of them means the script itself fails. */
  private deathsWithoutProgress = 0;

  constructor(options: PreprocessPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.workers ?? defaultPoolSize()));
    this.perWorker = Math.max(1, Math.floor(options.perWorker ?? 2));
    this.maxPixels = options.maxPixels;
    this.workerPath = options.workerPath ?? defaultWorkerPath();
    if (!existsSync(this.workerPath)) {
      throw new Error(`the preprocessing worker script is missing at ${this.workerPath} (build the project first)`);
    }
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn());
  }

  /** Preprocesses each path into its own [3,H,W] tensor; results keep the order of `paths`. */
  async preprocess(
    paths: readonly string[],
    config: PreprocessorConfig,
    options: { signal?: AbortSignal } = {},
  ): Promise<PreprocessResult[]> {
    tensorSize(config); // a config without a fixed size fails here, once, not per file
    const opts = this.workerOptions();
    return this.runAll(paths, options.signal, (path) => (api) => api.preprocess(path, config, opts)) as Promise<PreprocessResult[]>;
  }

  /**
   * Preprocesses paths[i] into target[(firstIndex + i) · 3·H·W …], so a batcher fills one [N,3,H,W] tensor with no
   * copies. `target` must live on a SharedArrayBuffer, which the workers write into directly.
   */
  async preprocessInto(
    paths: readonly string[],
    config: PreprocessorConfig,
    target: Float32Array,
    firstIndex = 0,
    options: { signal?: AbortSignal } = {},
  ): Promise<SlotResult[]> {
    if (!(target.buffer instanceof SharedArrayBuffer)) {
      throw new TypeError('PreprocessPool.preprocessInto needs a Float32Array on a SharedArrayBuffer');
    }
    const { height, width } = tensorSize(config);
    const length = 3 * height * width;
    if ((firstIndex + paths.length) * length > target.length) {
      throw new RangeError(`PreprocessPool.preprocessInto: ${firstIndex + paths.length} images do not fit a target of ${target.length} floats`);
    }
    const opts = this.workerOptions();
    return this.runAll(paths, options.signal, (path, i) => (api) => api.preprocessInto(path, config, target, (firstIndex + i) * length, opts));
  }

  /** Stops the workers; calls still waiting get an error result. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) task.done({ ok: false, error: 'preprocessing stopped: the pool was closed' });
    const slots = this.slots.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        for (const task of slot.inFlight) task.done({ ok: false, error: 'preprocessing stopped: the pool was closed' });
        slot.inFlight.clear();
        slot.api[Comlink.releaseProxy]();
        await slot.worker.terminate();
      }),
    );
  }

  private workerOptions(): PreprocessOptions {
    return this.maxPixels === undefined ? {} : { maxPixels: this.maxPixels };
  }

  private async runAll<R extends PreprocessResult | SlotResult>(
    paths: readonly string[],
    signal: AbortSignal | undefined,
    makeRun: (path: string, index: number) => Task['run'],
  ): Promise<R[]> {
    if (this.closed) throw new Error('PreprocessPool is closed');
    if (this.broken) throw this.broken;
    const pending = paths.map(
      (path, index) =>
        new Promise<R>((resolve) => {
          const run = makeRun(path, index);
          // A cancelled call stops dispatching: tasks not yet started resolve as cancelled without touching a worker.
          const guarded: Task['run'] = (api) => (signal?.aborted ? Promise.resolve({ ok: false, error: 'cancelled' }) : run(api));
          this.queue.push({ run: guarded, done: resolve as Task['done'], crashes: 0 });
        }),
    );
    this.pump();
    const results = await Promise.all(pending);
    if (signal?.aborted) throw new CancelledError();
    return results;
  }

  /** Hands queued tasks to the least busy workers, up to perWorker each. */
  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let best: Slot | undefined;
      for (const slot of this.slots) {
        if (slot.inFlight.size < this.perWorker && (!best || slot.inFlight.size < best.inFlight.size)) best = slot;
      }
      if (!best) return;
      this.start(best, this.queue.shift()!);
    }
  }

  private start(slot: Slot, task: Task): void {
    slot.inFlight.add(task);
    if (slot.inFlight.size === 1) slot.worker.ref(); // keep the process alive while work is outstanding
    task.run(slot.api).then(
      (result) => this.finish(slot, task, result),
      (err: unknown) => this.finish(slot, task, { ok: false, error: `preprocessing worker error: ${(err as Error)?.message ?? err}` }),
    );
  }

  private finish(slot: Slot, task: Task, result: PreprocessResult | SlotResult): void {
    if (!slot.inFlight.delete(task)) return; // already settled by a crash or close()
    if (slot.inFlight.size === 0) slot.worker.unref();
    this.deathsWithoutProgress = 0;
    task.done(result);
    this.pump();
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerPath);
    const slot: Slot = { worker, api: Comlink.wrap<PreprocessWorkerApi>(nodeEndpoint(worker)), inFlight: new Set() };
    worker.unref();
    const died = (why: string) => this.replace(slot, why);
    worker.on('error', (err) => died(`crashed (${err.message})`));
    worker.on('exit', (code) => died(`exited with code ${code}`));
    return slot;
  }

  /** A worker died (a native crash or out of memory): its tasks are retried once on a fresh worker, then reported. */
  private replace(slot: Slot, why: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return; // already replaced, or closing
    const orphans = [...slot.inFlight];
    slot.inFlight.clear();
    slot.api[Comlink.releaseProxy]();
    if (++this.deathsWithoutProgress > this.size + 3) {
      // Workers die before finishing anything, so a new one would too: fail everything rather than respawn in a loop.
      this.broken = new Error(`the preprocessing workers keep failing: the last one ${why}`);
      this.slots.splice(index, 1);
      for (const task of [...orphans, ...this.queue.splice(0)]) task.done({ ok: false, error: this.broken.message });
      return;
    }
    this.slots[index] = this.spawn();
    for (const task of orphans.reverse()) {
      task.crashes++;
      if (task.crashes >= 2) {
        const failure: WorkerFailure = { ok: false, error: `the preprocessing worker ${why} twice while reading this file` };
        task.done(failure);
      } else {
        this.queue.unshift(task);
      }
    }
    this.pump();
  }
}
