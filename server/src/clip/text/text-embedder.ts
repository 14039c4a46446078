import { CONTEXT_LENGTH, loadTokenizer, toInputIds, type ClipTokenizer } from './tokenizer';
import type { ExecutionProviderRequest } from '../inference/execution-providers';
import { InferenceThread } from '../inference/inference-thread';

/** Texts → CLIP text embeddings (raw, as the model outputs them), on the inference thread. */
export class TextEmbedder {
  private constructor(
    private readonly inference: InferenceThread,
    readonly tokenizer: ClipTokenizer,
    /** The model's fixed text length; undefined when it takes any length (Hugging Face's exports do). */
    private fixedLength: number | undefined,
    readonly provider: string,
  ) {}

  /** Opens the text tower; the tokenizer comes from the model folder (vocab.json + merges.txt, tokenizer.json, or OpenAI's .gz). */
  static async open(textPath: string, modelDir: string, provider?: ExecutionProviderRequest): Promise<TextEmbedder> {
    const tokenizer = await loadTokenizer(modelDir);
    const inference = InferenceThread.start();
    try {
      const summary = await inference.openText(textPath, { provider, spinning: false });
      return new TextEmbedder(inference, tokenizer, summary.contextLength, summary.provider);
    } catch (err) {
      await inference.close();
      throw err;
    }
  }

  /**
   * Embeddings of `texts`, row-major texts.length × D. A model that takes any length gets each batch padded to its
   * longest prompt, not to 77: exact for CLIP's causal text tower, which pools at the end-of-text token, so padding
   * after it changes nothing (test/unit/text-true-length.test.ts) and a 12-token prompt costs 12 tokens, not 77.
   */
  async embed(texts: readonly string[], batchSize = 64, signal?: AbortSignal): Promise<Float32Array> {
    const parts: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      if (signal?.aborted) break;
      const batch = texts.slice(start, start + batchSize);
      parts.push(await this.embedBatch(batch));
    }
    const total = parts.reduce((s, p) => s + p.length, 0);
    const out = new Float32Array(total);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }

  private async embedBatch(batch: string[]): Promise<Float32Array> {
    const longest = (): number => Math.max(2, ...batch.map((t) => this.tokenizer.tokenize(t, CONTEXT_LENGTH).length));
    const length = this.fixedLength ?? longest();
    const { inputIds, attentionMask } = toInputIds(this.tokenizer, batch, length);
    try {
      return await this.inference.embedTexts(inputIds, attentionMask, batch.length, length, { transfer: true });
    } catch (err) {
      // A model that declares any length but builds in 77 (some exporters do): pad to 77 from now on.
      if (this.fixedLength !== undefined || length === CONTEXT_LENGTH) throw err;
      this.fixedLength = CONTEXT_LENGTH;
      return this.embedBatch(batch);
    }
  }

  async close(): Promise<void> {
    await this.inference.close();
  }
}
