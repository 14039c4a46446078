// Turns what the user wrote (`--model DIR|ID`, `model:` in gla.yaml) into a folder of model files on disk.
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../../errors';
import { defaultCacheDir, modelsDir } from '../../store/cache-dir';
import { downloadModel, type ModelDownloadProgress } from './model-download';
import { cachedVariants, missingFiles, modelCacheDir } from './model-cache';
import type { HubRequestOptions } from './hub-http';
import { expectedTowerPath, findTokenizerFiles, findTower, tokenizerUsable, variantsIn, type TokenizerFiles } from './model-layout';
import { isDirectory, isFile, readJsonObject } from '../../store/files';
import { findModel, listModels, type ModelEntry, type ModelVariant } from './registry';

export type { TokenizerFiles } from './model-layout';

/** A model ready to open: plain paths and numbers, no sessions. */
export interface ModelFolder {
  /** The registry id for a known model, else the folder's absolute path. */
  id: string;
  dir: string;
  variant: ModelVariant;
  visionPath: string;
  textPath?: string;
  preprocessorConfigPath?: string;
  configPath?: string;
  tokenizer?: TokenizerFiles;
  /** Embedding width, when the registry or config.json (projection_dim) says. */
  dim?: number;
  /** Square input side, when the registry or the config files say. */
  imageSize?: number;
  /** exp(logit_scale): 100 for OpenAI CLIP. */
  logitScale: number;
  contextLength: number;
  /** Whether this is a registry model. */
  known: boolean;
}

export interface ResolveModelOptions extends HubRequestOptions {
  /** Defaults to GLA_CACHE_DIR / the XDG cache. */
  cacheDir?: string;
  /** Defaults to a variant already in the folder (fp32 first), else fp32. */
  variant?: ModelVariant;
  /** Fetch a known model's missing files from the hub; otherwise a missing file is an error. */
  allowDownload?: boolean;
  onProgress?: (p: ModelDownloadProgress) => void;
  retries?: number;
  retryDelayMs?: number;
}

const OPENAI_LOGIT_SCALE = 100;
const CLIP_CONTEXT_LENGTH = 77;

/**
 * A folder (used as is) or a known id (its cache folder, downloading missing files when allowed). A folder that
 * exists wins over an id of the same name.
 */
export async function resolveModel(idOrDir: string, opts: ResolveModelOptions = {}): Promise<ModelFolder> {
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir ?? defaultCacheDir(env);
  if (await isDirectory(idOrDir)) return folderAt(resolve(idOrDir), opts.variant, cacheDir);
  const entry = findModel(idOrDir);
  if (!entry) {
    const known = listModels().map((m) => m.id).join(', ');
    throw new UserError(`model '${idOrDir}' is neither a folder nor a known model id (known: ${known})`);
  }
  const variant = opts.variant ?? (await cachedVariants(entry, cacheDir))[0] ?? 'fp32';
  const missing = await missingFiles(entry, variant, cacheDir);
  if (missing.length > 0) {
    if (!opts.allowDownload) {
      throw new UserError(
        `model ${entry.id} (${variant}) is not fully in the cache: ${missing.map((f) => f.path).join(', ')} missing from ` +
          `${modelCacheDir(cacheDir, entry.id)}; run 'gla model download ${entry.id} --variant ${variant}'`,
      );
    }
    await downloadModel(entry, variant, { ...opts, cacheDir });
  }
  return folderAt(modelCacheDir(cacheDir, entry.id), variant, cacheDir, entry);
}

function numberOrSide(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const side = o.height ?? o.shortest_edge ?? o.width;
    if (typeof side === 'number' && Number.isFinite(side)) return side;
  }
  return undefined;
}

async function jsonOrUndefined(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await readJsonObject(path);
  } catch {
    return undefined;
  }
}

/** Reads a folder's layout without opening any ONNX file; only the vision tower is required here. */
async function folderAt(dir: string, variant: ModelVariant | undefined, cacheDir: string, entry?: ModelEntry): Promise<ModelFolder> {
  // A cache folder named after a known id is that model, even when given as a path.
  entry ??= dirname(dir) === resolve(modelsDir(cacheDir)) ? findModel(basename(dir)) : undefined;
  const present = await variantsIn(dir);
  const chosen = variant ?? present[0];
  if (!chosen) {
    throw new UserError(`${dir} holds no CLIP vision model: expected ${expectedTowerPath('fp32', 'vision')} (or its _quantized / _fp16 variant)`);
  }
  const visionPath = await findTower(dir, chosen, 'vision');
  if (!visionPath) {
    const others = present.length ? ` (it has: ${present.join(', ')})` : '';
    throw new UserError(`${dir} has no ${chosen} vision model: ${join(dir, expectedTowerPath(chosen, 'vision'))} is missing${others}`);
  }
  const configPath = join(dir, 'config.json');
  const preprocessorConfigPath = join(dir, 'preprocessor_config.json');
  const config = await jsonOrUndefined(configPath);
  const preprocessor = await jsonOrUndefined(preprocessorConfigPath);
  const visionConfig = config?.vision_config as Record<string, unknown> | undefined;
  const tokenizer = await findTokenizerFiles(dir);
  const projectionDim = typeof config?.projection_dim === 'number' ? config.projection_dim : undefined;
  return {
    id: entry?.id ?? dir,
    dir,
    variant: chosen,
    visionPath,
    textPath: await findTower(dir, chosen, 'text'),
    preprocessorConfigPath: (await isFile(preprocessorConfigPath)) ? preprocessorConfigPath : undefined,
    configPath: (await isFile(configPath)) ? configPath : undefined,
    tokenizer: tokenizerUsable(tokenizer) ? tokenizer : undefined,
    dim: entry?.dim ?? projectionDim,
    imageSize: entry?.imageSize ?? numberOrSide(preprocessor?.crop_size) ?? numberOrSide(visionConfig?.image_size),
    // The trained scale is a weight, not in config.json (logit_scale_init_value is the untrained start), so a folder
    // gets OpenAI CLIP's clamped value.
    logitScale: entry?.logitScale ?? OPENAI_LOGIT_SCALE,
    contextLength: entry?.contextLength ?? CLIP_CONTEXT_LENGTH,
    known: Boolean(entry),
  };
}
