import { CONTEXT_LENGTH, loadTokenizer, toInputIds, type ClipTokenizer } from './tokenizer';
import type { ExecutionProviderRequest } from '../inference/execution-providers';
import { InferenceThread } from '../inference/inference-thread';

/** Texts → CLIP text embeddings (raw, as the model outputs them), on the inference thread. */
export class TextEmbedder {
  private constructor(
    private readonly inference: InferenceThread,
    readonly tokenizer: ClipTokenizer,
    private readonly contextLength: number,
    readonly provider: string,
  ) {}

  /** Opens the text tower; the tokenizer comes from the model folder (vocab.json + merges.txt, tokenizer.json, or OpenAI's .gz). */
  static async open(textPath: string, modelDir: string, provider?: ExecutionProviderRequest): Promise<TextEmbedder> {
    const tokenizer = await loadTokenizer(modelDir);
    const inference = InferenceThread.start();
    try {
      const summary = await inference.openText(textPath, { provider, spinning: false });
      return new TextEmbedder(inference, tokenizer, summary.contextLength ?? CONTEXT_LENGTH, summary.provider);
    } catch (err) {
      await inference.close();
      throw err;
    }
  }

  /** Embeddings of `texts`, row-major texts.length × D. */
  async embed(texts: readonly string[], batchSize = 64, signal?: AbortSignal): Promise<Float32Array> {
    const parts: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      if (signal?.aborted) break;
      const batch = texts.slice(start, start + batchSize);
      const { inputIds, attentionMask } = toInputIds(this.tokenizer, batch, this.contextLength);
      parts.push(await this.inference.embedTexts(inputIds, attentionMask, batch.length, this.contextLength, { transfer: true }));
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

  async close(): Promise<void> {
    await this.inference.close();
  }
}
