// A model's cache keys come from the bytes of the files that make its embeddings, so a model re-exported or
// changed in place (even with the same size and mtime) never reuses stale embeddings.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ModelFolder } from '../clip/models';
import { FileReadError } from '../store/regular-file';
import { PathIndex } from '../store/path-index';

export interface ModelKeys {
  /** Keys image embeddings: the vision tower's sha256. */
  vision: string;
  /** Keys text embeddings: the text tower's and the tokenizer files' sha256. */
  text: string;
}

// Every file readTokenizerFiles may pick, where it looks: hashing them all is cheap and never misses the one it uses.
const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'tokenizer.json', 'bpe_simple_vocab_16e6.txt.gz', 'bpe_simple_vocab_16e6.txt'];
const TOKENIZER_DIRS = ['.', 'tokenizer'];

/** The index of model files lives beside the images' one but apart, so keying a model never loads every image's entry. */
const MODEL_INDEX = 'model-index.json';

async function tokenizerDigest(index: PathIndex, dir: string): Promise<string> {
  const digest = createHash('sha256');
  for (const sub of TOKENIZER_DIRS) {
    for (const name of TOKENIZER_FILES) {
      const rel = sub === '.' ? name : `${sub}/${name}`;
      const key = await index.keyOf(join(dir, rel)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || (err instanceof FileReadError && err.code === 'not-regular')) return undefined;
        throw err;
      });
      if (key) digest.update(`${rel}\0${key.hash}\0`);
    }
  }
  return digest.digest('hex');
}

/**
 * Content keys for a model's embeddings. Each file is hashed once, then found again through a PathIndex fast path
 * (size, mtime, ctime, inode), so opening the same model again costs a few stats, not a read of its weights.
 */
export async function modelKeys(folder: ModelFolder, cacheDir: string): Promise<ModelKeys> {
  const index = new PathIndex(cacheDir, MODEL_INDEX);
  await index.load();
  const vision = (await index.keyOf(folder.visionPath)).hash;
  const text = folder.textPath ? (await index.keyOf(folder.textPath)).hash : 'none';
  const tokenizer = await tokenizerDigest(index, folder.dir);
  // The index is only a hint: a cache folder we cannot write costs a re-hash next time, not this run.
  await index.save().catch(() => undefined);
  return { vision: `vision-sha256:${vision}`, text: `text-sha256:${text}|tokenizer-sha256:${tokenizer}` };
}
