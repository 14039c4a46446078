import { createHash } from 'node:crypto';
import { UserError, throwIfCancelled } from '../errors';
import { TextEmbedder } from '../clip/text/text-embedder';
import { classPrompts } from '../clip/text/templates';
import { classHead } from '../gla/zero-shot';
import type { Matrix } from '../gla/matrix';
import type { EmbeddingCache } from '../store/embedding-cache';
import type { OpenedModel } from './open-model';

export interface TextHeadOptions {
  provider?: string;
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
  /** A text tower kept open by the caller (the prompt lab's session): used for the misses and left open. */
  embedder?: () => Promise<TextEmbedder>;
  /** How many prompts the text tower encoded (the cache's misses). */
  onEncoded?(count: number): void;
}

/** What to do about a model folder with only its vision tower. */
export function missingTextTower(dir: string): UserError {
  return new UserError(`the model at ${dir} has no text tower (onnx/text_model.onnx), which zero-shot classification needs: use a CLIP export with both towers (gla model download clip-vit-base-patch32 fetches one; optimum exports both)`);
}

/** Cache key of one prompt's text embedding. */
function textKey(text: string): string {
  return createHash('sha256').update(`text\0${text}`).digest('hex');
}

/**
 * The zero-shot head for `names` × `templates`: prompt embeddings come from the cache where it has them, the
 * rest from the text tower (opened only when needed).
 */
export async function buildTextHead(model: OpenedModel, names: readonly string[], templates: readonly string[], cache: EmbeddingCache, options: TextHeadOptions = {}): Promise<Matrix> {
  const texts = names.flatMap((n) => classPrompts(n, templates));
  const rows: (Float32Array | undefined)[] = await Promise.all(texts.map((t) => cache.get(textKey(t))));
  const missing = texts.map((_, k) => k).filter((k) => !rows[k]);
  options.onEncoded?.(missing.length);
  if (missing.length > 0) {
    if (!model.folder.textPath) throw missingTextTower(model.folder.dir);
    const textPath = model.folder.textPath;
    const borrowed = options.embedder;
    const embedder = borrowed ? await borrowed() : await TextEmbedder.open(textPath, model.folder.dir, options.provider as never);
    try {
      const batch = 64;
      for (let start = 0; start < missing.length; start += batch) {
        throwIfCancelled(options.signal);
        const chunk = missing.slice(start, start + batch);
        const out = await embedder.embed(chunk.map((k) => texts[k]), batch, options.signal);
        // A cancel during the batch returns it short: nothing of it may reach the cache.
        throwIfCancelled(options.signal);
        const dim = out.length / chunk.length;
        // The batch's cache entries are written together: one at a time, 7 000 prompts wait on 7 000 file writes.
        await Promise.all(
          chunk.map(async (k, j) => {
            const e = out.slice(j * dim, (j + 1) * dim);
            await cache.put(textKey(texts[k]), e);
            rows[k] = cache.asStored(e);
          }),
        );
        options.onProgress?.(texts.length - missing.length + start + chunk.length, texts.length);
      }
    } finally {
      if (!borrowed) await embedder.close();
    }
  }
  const dim = rows[0]!.length;
  const all = new Float32Array(texts.length * dim);
  rows.forEach((r, k) => all.set(r!, k * dim));
  return classHead(all, names.length, templates.length, dim);
}
