// The tokenizer that counts a manifest's prompt tokens: the model's own, when its files are on disk.
import { join } from 'node:path';
import { findModel } from '../../clip/models';
import { loadTokenizer, type ClipTokenizer } from '../../clip/text/tokenizer';
import { modelLocation } from '../../dataset/manifest-checks';
import { modelsDir } from '../../store/cache-dir';

// A folder without a tokenizer is asked again after this long, so a model downloaded meanwhile is picked up.
const RETRY_MISSING_MS = 30_000;

export class TokenizerCache {
  private readonly loaded = new Map<string, { tokenizer: Promise<ClipTokenizer | undefined>; at: number }>();

  /**
   * The tokenizer of a model id (its cache folder) or model folder (relative to the dataset), or undefined when it
   * has none: the prompt-length check is then skipped. Loading parses the vocabulary once (~0.2 s on the main thread).
   */
  forModel(model: string, datasetRoot: string, cacheDir: string): Promise<ClipTokenizer | undefined> {
    const entry = findModel(model);
    const dir = entry ? join(modelsDir(cacheDir), entry.id) : modelLocation(model, datasetRoot);
    const cached = this.loaded.get(dir);
    if (cached && Date.now() - cached.at < RETRY_MISSING_MS) return cached.tokenizer;
    const tokenizer = loadTokenizer(dir).catch(() => undefined);
    this.loaded.set(dir, { tokenizer, at: Date.now() });
    // A tokenizer that loaded is kept for good.
    void tokenizer.then((t) => {
      if (t) this.loaded.set(dir, { tokenizer, at: Infinity });
    });
    return tokenizer;
  }
}
