// Where a known model lives in the cache (<cache>/models/<id>/) and which of its files are already there.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { modelsDir } from '../../store/cache-dir';
import { MODEL_VARIANTS, filesFor, type ModelEntry, type ModelVariant, type RegistryFile } from './registry';

/** <cache>/models/<id>/, where a known model's files live. */
export function modelCacheDir(cacheDir: string, id: string): string {
  return join(modelsDir(cacheDir), id);
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Registry files of a variant that are not yet in the model's cache folder. */
export async function missingFiles(entry: ModelEntry, variant: ModelVariant, cacheDir: string): Promise<RegistryFile[]> {
  const dir = modelCacheDir(cacheDir, entry.id);
  const missing: RegistryFile[] = [];
  for (const f of filesFor(entry, variant)) {
    if (!(await exists(join(dir, f.path)))) missing.push(f);
  }
  return missing;
}

/** Variants of a known model whose every file is in the cache, fp32 first. */
export async function cachedVariants(entry: ModelEntry, cacheDir: string): Promise<ModelVariant[]> {
  const out: ModelVariant[] = [];
  for (const v of MODEL_VARIANTS) if ((await missingFiles(entry, v, cacheDir)).length === 0) out.push(v);
  return out;
}
