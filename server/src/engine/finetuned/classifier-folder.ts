// The user's fine-tuned image classifier as Hugging Face exports it for image classification: onnx/model.onnx (or
// model.onnx) taking `pixel_values` and returning `logits`, its own preprocessor_config.json, and config.json's
// id2label naming the class of each logit.
import { promises as fs } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../../errors';
import { parsePreprocessorConfig, PREPROCESSOR_CONFIG_FILE, type PreprocessorConfig } from '../../clip/images/preprocessor-config';

export interface ClassifierFolder {
  dir: string;
  modelPath: string;
  config: PreprocessorConfig;
  /** id2label in logit order. */
  labels: string[];
  /** What tables call it: the folder's name. */
  name: string;
}

const MODEL_FILES = ['onnx/model.onnx', 'model.onnx'];

async function exists(path: string): Promise<boolean> {
  return fs.stat(path).then((s) => s.isFile(), () => false);
}

async function readJson(path: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: no such file (the classifier's ${what})` : `${path}: cannot read (${code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new UserError(`${path}: expected a JSON object`);
  return json as Record<string, unknown>;
}

/**
 * A classifier's preprocessing is its own: CLIP's defaults would silently feed it the wrong pixels, so the fields
 * that shape the tensor must be written out. Without `do_center_crop`, an image processor that has no crop (ViT's)
 * does not crop.
 */
export function classifierPreprocessing(raw: Record<string, unknown>, source: string): PreprocessorConfig {
  const has = (k: string) => raw[k] !== undefined && raw[k] !== null;
  const resizes = raw.do_resize !== false;
  const crops = raw.do_center_crop === true || (raw.do_center_crop === undefined && has('crop_size'));
  const normalises = raw.do_normalize !== false;
  const needed = [...(resizes ? ['size', 'resample'] : []), ...(crops ? ['crop_size'] : []), ...(normalises ? ['image_mean', 'image_std'] : [])];
  const missing = needed.filter((k) => !has(k));
  if (missing.length) {
    throw new UserError(`${source}: missing ${missing.join(', ')}; a fine-tuned classifier's preprocessing must be spelled out (CLIP's defaults would feed it the wrong pixels)`);
  }
  return parsePreprocessorConfig({ ...raw, do_center_crop: crops }, source);
}

/** id2label as a list in logit order: keys 0..K−1, each once. */
function labelsOf(config: Record<string, unknown>, source: string): string[] {
  const map = config.id2label;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new UserError(`${source}: no id2label (an object from logit index to class name)`);
  const entries = Object.entries(map as Record<string, unknown>);
  const labels = new Array<string>(entries.length);
  for (const [key, value] of entries) {
    const k = Number(key);
    if (!Number.isInteger(k) || k < 0 || k >= entries.length || String(k) !== key) throw new UserError(`${source}: id2label key '${key}' is not an index 0..${entries.length - 1}`);
    if (typeof value !== 'string' || value.trim() === '') throw new UserError(`${source}: id2label["${key}"] must be a class name`);
    labels[k] = value;
  }
  return labels;
}

/** Reads and checks a classifier folder (the model itself is checked when its session opens). */
export async function readClassifierFolder(path: string): Promise<ClassifierFolder> {
  const dir = resolve(path);
  let modelPath: string | undefined;
  for (const file of MODEL_FILES) if (!modelPath && (await exists(join(dir, file)))) modelPath = join(dir, file);
  if (!modelPath) throw new UserError(`${path}: no ${MODEL_FILES.join(' or ')}; a fine-tuned model folder is a Hugging Face image-classification ONNX export (or give a logits PREFIX)`);
  const preprocessing = join(dir, PREPROCESSOR_CONFIG_FILE);
  const config = classifierPreprocessing(await readJson(preprocessing, PREPROCESSOR_CONFIG_FILE), preprocessing);
  const configPath = join(dir, 'config.json');
  const labels = labelsOf(await readJson(configPath, 'config.json with id2label'), configPath);
  return { dir, modelPath, config, labels, name: basename(dir) };
}
