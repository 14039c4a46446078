import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the CLI keeps caches (embeddings, downloaded models): GLA_CACHE_DIR, else the XDG cache, else ~/.cache/gla.
 * The extension passes its globalStorage path instead.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GLA_CACHE_DIR) return env.GLA_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'gla');
  return join(homedir(), '.cache', 'gla');
}

/** Downloaded models live under <cache>/models/<id>/ in the Hugging Face ONNX layout. */
export function modelsDir(cacheDir: string): string {
  return join(cacheDir, 'models');
}
