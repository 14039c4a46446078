// Where the files of a model folder in the Hugging Face ONNX layout are: towers per variant, tokenizer, preprocessing.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isFile } from '../../store/files';
import { MODEL_VARIANTS, type ModelVariant } from './registry';

export type Tower = 'vision' | 'text';

/** File names of each tower per variant, as transformers.js / Optimum export them. */
export const TOWER_FILES: Record<ModelVariant, Record<Tower, string>> = {
  fp32: { vision: 'vision_model.onnx', text: 'text_model.onnx' },
  quantized: { vision: 'vision_model_quantized.onnx', text: 'text_model_quantized.onnx' },
  fp16: { vision: 'vision_model_fp16.onnx', text: 'text_model_fp16.onnx' },
};

/** Any one of these is enough to tokenize: vocab.json + merges.txt, tokenizer.json, or OpenAI's BPE file. */
export interface TokenizerFiles {
  vocabJson?: string;
  mergesTxt?: string;
  tokenizerJson?: string;
  bpeVocabGz?: string;
}

/** The tower's file: `onnx/<name>` as exported, or `<name>` at the top of the folder. */
export async function findTower(dir: string, variant: ModelVariant, tower: Tower): Promise<string | undefined> {
  const name = TOWER_FILES[variant][tower];
  for (const candidate of [join(dir, 'onnx', name), join(dir, name)]) {
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

/** Where a tower is expected when it is missing, for messages. */
export function expectedTowerPath(variant: ModelVariant, tower: Tower): string {
  return `onnx/${TOWER_FILES[variant][tower]}`;
}

/** Variants whose vision tower is in the folder, in the order fp32, quantized, fp16. */
export async function variantsIn(dir: string): Promise<ModelVariant[]> {
  const out: ModelVariant[] = [];
  for (const v of MODEL_VARIANTS) if (await findTower(dir, v, 'vision')) out.push(v);
  return out;
}

/** Variants with either tower present (for verification: half a variant is a problem to report). */
export async function variantsTouched(dir: string): Promise<ModelVariant[]> {
  const out: ModelVariant[] = [];
  for (const v of MODEL_VARIANTS) {
    if ((await findTower(dir, v, 'vision')) || (await findTower(dir, v, 'text'))) out.push(v);
  }
  return out;
}

export async function findTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const files: TokenizerFiles = {};
  const at = async (name: string) => ((await isFile(join(dir, name))) ? join(dir, name) : undefined);
  files.vocabJson = await at('vocab.json');
  files.mergesTxt = await at('merges.txt');
  files.tokenizerJson = await at('tokenizer.json');
  files.bpeVocabGz = await at('bpe_simple_vocab_16e6.txt.gz');
  for (const k of Object.keys(files) as (keyof TokenizerFiles)[]) if (!files[k]) delete files[k];
  return files;
}

/** Whether the tokenizer files found are a complete set. */
export function tokenizerUsable(files: TokenizerFiles): boolean {
  return Boolean((files.vocabJson && files.mergesTxt) || files.tokenizerJson || files.bpeVocabGz);
}
