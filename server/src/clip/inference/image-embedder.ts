import { availableParallelism } from 'node:os';
import { CancelledError } from '../../errors';
import type { ExecutionProviderRequest } from './execution-providers';
import { InferenceThread } from './inference-thread';
import { PathFeed } from './path-feed';
import type { ImageErrorReason } from '../images/image-error';
import { PreprocessPool, type SlotResult } from '../images/preprocess-pool';
import { tensorSize, type PreprocessorConfig } from '../images/preprocessor-config';

export interface ImageEmbedderOptions {
  visionPath: string;
  config: PreprocessorConfig;
  provider?: ExecutionProviderRequest;
  /** Images per inference call; default 32 (ViT-B/32 on CPU is within a few % of its best from 8 up). */
  batchSize?: number;
  /** Decode/preprocess worker threads; default 2. */
  decodeWorkers?: number;
  /** ONNX Runtime intra-op threads; default all cores. */
  threads?: number;
  /** Let ONNX Runtime's idle threads spin between ops (faster inference, but they compete with the decoders). */
  spinning?: boolean;
  /** CLIP's `image_embeds` (default), or an image classifier's `logits`: the same pipeline, the rows being logits. */
  output?: 'image_embeds' | 'logits';
}

/** One image's embedding (raw, as the model outputs it) or why it has none (`reason` for a problem with the image itself). */
export type EmbedOutcome = { index: number; embedding: Float32Array } | { index: number; error: string; reason?: ImageErrorReason };

export interface EmbedRunOptions {
  signal?: AbortSignal;
  /** Called after each batch with images done so far. */
  onProgress?(done: number, total: number): void;
}

/** Batches decoded ahead of the one being embedded: enough to hide decoding, few enough to bound memory. */
const LOOKAHEAD = 2;

interface PreparedBatch {
  /** Indices (into the caller's paths) whose pixels sit contiguously at the start of `pixels`. */
  indices: number[];
  pixels: Float32Array;
  failures: EmbedOutcome[];
}

/**
 * Images → CLIP image embeddings, pipelined: worker threads decode and preprocess the next batches into shared
 * buffers while the inference thread embeds the current one. Neither blocks the caller's event loop.
 */
export class ImageEmbedder {
  private constructor(
    private readonly pool: PreprocessPool,
    private readonly inference: InferenceThread,
    private readonly config: PreprocessorConfig,
    readonly batchSize: number,
    readonly provider: string,
    private knownDim: number | undefined,
  ) {}

  static async open(options: ImageEmbedderOptions): Promise<ImageEmbedder> {
    const inference = InferenceThread.start();
    try {
      const summary = await inference.openVision(options.visionPath, { provider: options.provider, threads: options.threads, spinning: options.spinning ?? false, output: options.output });
      const pool = new PreprocessPool({ workers: options.decodeWorkers ?? Math.min(2, availableParallelism()) });
      return new ImageEmbedder(pool, inference, options.config, Math.max(1, options.batchSize ?? 32), summary.provider, summary.dim);
    } catch (err) {
      await inference.close();
      throw err;
    }
  }

  /** Embedding width, known once the model declares it or the first batch ran. */
  get dim(): number | undefined {
    return this.knownDim;
  }

  /**
   * Embeds every path, calling `onResult` once per path, batch by batch in path order. A PathFeed may still be
   * growing: batches start as soon as they are full (or the feed ends), and `index` is the feed's.
   */
  async embed(input: readonly string[] | PathFeed, onResult: (outcome: EmbedOutcome) => void | Promise<void>, options: EmbedRunOptions = {}): Promise<void> {
    const { signal } = options;
    const feed = input instanceof PathFeed ? input : PathFeed.of(input);
    const { height, width } = tensorSize(this.config);
    const length = 3 * height * width;
    // The next batch: each image goes to the decode workers as soon as it is in the feed, into its slot of the batch.
    const prepareNext = async (): Promise<PreparedBatch | undefined> => {
      const shared = new Float32Array(new SharedArrayBuffer(this.batchSize * length * 4));
      const slots: Promise<SlotResult>[] = [];
      const { start, paths } = await feed.take(this.batchSize, (path, k) => {
        slots.push(this.pool.preprocessInto([path], this.config, shared, k, { signal }).then((r) => r[0]));
      });
      // Every slot settles before the batch does, so no worker writes into `shared` after it is let go.
      const results = await Promise.all(slots);
      if (paths.length === 0) return undefined;
      const indices: number[] = [];
      const failures: EmbedOutcome[] = [];
      // ONNX Runtime needs an ordinary buffer: copy the good images together, closing the gaps of failed ones.
      const good = results.filter((r) => r.ok).length;
      const pixels = new Float32Array(good * length);
      results.forEach((r, k) => {
        if (r.ok) {
          pixels.set(shared.subarray(k * length, (k + 1) * length), indices.length * length);
          indices.push(start + k);
        } else {
          failures.push({ index: start + k, error: r.error, reason: r.reason });
        }
      });
      return { indices, pixels, failures };
    };
    // Each entry is the next batch, or undefined once the feed is exhausted.
    const queue: Promise<PreparedBatch | undefined>[] = [];
    let exhausted = false;
    const refill = (): void => {
      while (queue.length < LOOKAHEAD && !exhausted && !signal?.aborted) {
        const prepared = prepareNext();
        // A batch may fail (cancel) while we wait on inference; it is awaited later, so mark it handled now.
        prepared.catch(() => undefined);
        queue.push(prepared);
      }
    };
    refill();
    let done = 0;
    try {
      while (queue.length > 0) {
        const batch = await queue.shift()!;
        if (!batch) {
          exhausted = true;
          break;
        }
        refill();
        if (signal?.aborted) throw new CancelledError();
        const n = batch.indices.length;
        const embeddings = n > 0 ? await this.inference.embedImages(batch.pixels, n, height, width, { transfer: true }) : new Float32Array(0);
        const dim = n > 0 ? embeddings.length / n : 0;
        if (n > 0) this.knownDim = dim;
        // Report in path order: failures and successes of this batch interleaved by index.
        const outcomes: EmbedOutcome[] = [...batch.failures, ...batch.indices.map((index, k) => ({ index, embedding: embeddings.slice(k * dim, (k + 1) * dim) }))];
        outcomes.sort((a, b) => a.index - b.index);
        for (const outcome of outcomes) await onResult(outcome);
        done += outcomes.length;
        options.onProgress?.(done, feed.length);
        if (signal?.aborted) throw new CancelledError();
      }
      // Cancelled before the first batch was even queued.
      if (signal?.aborted) throw new CancelledError();
    } catch (err) {
      feed.abandon(); // takes still waiting for paths would otherwise wait for ever
      throw err;
    } finally {
      // Let batches still decoding settle so no worker writes into a buffer after we return.
      await Promise.allSettled(queue);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pool.close(), this.inference.close()]);
  }
}
