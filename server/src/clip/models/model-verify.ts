// Checks a model folder before anything runs on it: files present, and each ONNX tower's inputs and outputs as
// CLIP's (pixel_values → image_embeds, input_ids [+ attention_mask] → text_embeds), every problem named at once;
// then, when all that holds, one test batch through each tower, since broken weights pass every static check.
import { join, relative } from 'node:path';
import { onnxRuntime, type Ort } from '../inference/onnx-runtime';
import { expectedTowerPath, findTokenizerFiles, findTower, tokenizerUsable, variantsTouched, type Tower } from './model-layout';
import { isDirectory, isFile, readJsonObject } from '../../store/files';
import { loadPreprocessorConfig, tensorSize } from '../images/preprocessor-config';
import type { ModelVariant } from './registry';
import type { TestInputs } from './model-test-run';
import { loadTokenizer } from '../text/tokenizer';

export interface ValueReport {
  name: string;
  /** Tensor element type ('float32', 'int64', …), or 'non-tensor'. */
  type: string;
  /** Dimensions: numbers, symbolic names, or empty when the model does not say. */
  shape: (number | string)[];
}

export interface TowerReport {
  /** Path inside the model folder. */
  file: string;
  inputs: ValueReport[];
  outputs: ValueReport[];
  /** Embedding width when the output shape fixes it. */
  dim?: number;
}

export interface VariantReport {
  variant: ModelVariant;
  vision?: TowerReport;
  text?: TowerReport;
}

export interface ModelProblem {
  /** Path inside the model folder (or the folder itself). */
  file: string;
  message: string;
}

export interface ModelVerification {
  ok: boolean;
  dir: string;
  variants: VariantReport[];
  dim?: number;
  /** Square input side when the vision tower fixes it. */
  imageSize?: number;
  problems: ModelProblem[];
}

const FLOAT_TYPES = new Set(['float32', 'float16']);

function describeShape(shape: (number | string)[]): string {
  return shape.length ? `[${shape.join(',')}]` : '[?]';
}

function reportOf(meta: readonly Ort.InferenceSession.ValueMetadata[]): ValueReport[] {
  return meta.map((m) =>
    m.isTensor ? { name: m.name, type: String(m.type), shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] },
  );
}

/** Problems with one tower's interface; what it learns about dims and input size goes into `found`. */
function checkTower(
  tower: Tower,
  report: TowerReport,
  problem: (message: string) => void,
  found: { imageSide?: number },
): void {
  const { inputs, outputs } = report;
  const spec =
    tower === 'vision'
      ? { input: 'pixel_values', inputText: 'pixel_values float32 [N,3,H,W]', output: 'image_embeds' }
      : { input: 'input_ids', inputText: 'input_ids int64 [N,L] (and optionally attention_mask)', output: 'text_embeds' };
  const allowedInputs = tower === 'vision' ? ['pixel_values'] : ['input_ids', 'attention_mask'];

  const main = inputs.find((i) => i.name === spec.input);
  if (!main) {
    const names = inputs.map((i) => `'${i.name}'`).join(', ') || 'none';
    problem(`input ${spec.input} is missing (inputs are ${names}; expected ${spec.inputText})`);
  }
  for (const extra of inputs.filter((i) => !allowedInputs.includes(i.name))) {
    if (main) problem(`unexpected input '${extra.name}': only ${allowedInputs.join(' and ')} are fed`);
  }
  if (main) {
    if (tower === 'vision') {
      if (!FLOAT_TYPES.has(main.type)) problem(`input pixel_values is ${main.type}, expected float32`);
      if (main.shape.length && main.shape.length !== 4) {
        problem(`input pixel_values has shape ${describeShape(main.shape)}, expected [N,3,H,W]`);
      } else if (main.shape.length === 4) {
        const [, c, h, w] = main.shape;
        if (typeof c === 'number' && c !== 3) problem(`input pixel_values has ${c} channels, expected 3`);
        if (typeof h === 'number' && typeof w === 'number') {
          if (h !== w) problem(`input pixel_values is ${h}×${w}, expected a square crop`);
          else found.imageSide = h;
        }
      }
    } else {
      for (const input of inputs.filter((i) => i.name === 'input_ids' || i.name === 'attention_mask')) {
        if (input.type !== 'int64') problem(`input ${input.name} is ${input.type}, expected int64`);
        if (input.shape.length && input.shape.length !== 2) {
          problem(`input ${input.name} has shape ${describeShape(input.shape)}, expected [N,L]`);
        }
      }
    }
  }

  const out = outputs.find((o) => o.name === spec.output);
  if (!out) {
    const names = outputs.map((o) => `'${o.name}'`).join(', ') || 'none';
    problem(`output ${spec.output} is missing (outputs are ${names}; expected ${spec.output} [N,D])`);
    return;
  }
  if (!FLOAT_TYPES.has(out.type)) problem(`output ${spec.output} is ${out.type}, expected float32`);
  if (out.shape.length && out.shape.length !== 2) {
    problem(`output ${spec.output} has shape ${describeShape(out.shape)}, expected [N,D]`);
  } else if (typeof out.shape[1] === 'number') {
    report.dim = out.shape[1];
  }
}

async function openTower(path: string): Promise<{ inputs: ValueReport[]; outputs: ValueReport[] }> {
  const ort = onnxRuntime();
  // Only the interface is read: no graph optimisation, one thread, quiet logs.
  const session = await ort.InferenceSession.create(path, {
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
    logSeverityLevel: 3,
  });
  try {
    return { inputs: reportOf(session.inputMetadata), outputs: reportOf(session.outputMetadata) };
  } finally {
    await session.release();
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').find((l) => l.trim())?.trim() ?? 'unknown error';
}

/**
 * Checks every variant present in `dir` (or just `variant`): both towers exist, open in ONNX Runtime and have CLIP's
 * inputs and outputs; their widths agree; tokenizer and preprocessing files are there. Extra outputs are fine.
 */
export async function verifyModelFolder(dir: string, opts: { variant?: ModelVariant } = {}): Promise<ModelVerification> {
  const problems: ModelProblem[] = [];
  const result: ModelVerification = { ok: false, dir, variants: [], problems };
  if (!(await isDirectory(dir))) {
    problems.push({ file: dir, message: 'folder does not exist' });
    return result;
  }
  const rel = (p: string) => relative(dir, p) || '.';

  const variants = opts.variant ? [opts.variant] : await variantsTouched(dir);
  if (variants.length === 0) {
    problems.push({
      file: expectedTowerPath('fp32', 'vision'),
      message: 'missing: no ONNX model found (expected onnx/vision_model.onnx and onnx/text_model.onnx, or their _quantized / _fp16 variants)',
    });
  }

  const dims: { file: string; dim: number }[] = [];
  const sides: { file: string; side: number }[] = [];
  for (const variant of variants) {
    const vr: VariantReport = { variant };
    result.variants.push(vr);
    for (const tower of ['vision', 'text'] as Tower[]) {
      const path = await findTower(dir, variant, tower);
      if (!path) {
        problems.push({ file: expectedTowerPath(variant, tower), message: `missing (the ${variant} ${tower} model)` });
        continue;
      }
      const file = rel(path);
      let io;
      try {
        io = await openTower(path);
      } catch (err) {
        problems.push({ file, message: `ONNX Runtime cannot open it: ${firstLine(err)}` });
        continue;
      }
      const report: TowerReport = { file, ...io };
      const found: { imageSide?: number } = {};
      checkTower(tower, report, (message) => problems.push({ file, message }), found);
      vr[tower] = report;
      if (report.dim !== undefined) dims.push({ file, dim: report.dim });
      if (found.imageSide !== undefined) sides.push({ file, side: found.imageSide });
    }
  }
  const distinctDims = [...new Set(dims.map((d) => d.dim))];
  if (distinctDims.length > 1) {
    problems.push({
      file: dims.map((d) => d.file).join(', '),
      message: `embedding widths disagree: ${dims.map((d) => `${d.file} gives ${d.dim}`).join(', ')}; image and text embeddings must have the same width`,
    });
  } else if (distinctDims.length === 1) {
    result.dim = distinctDims[0];
  }
  if (sides.length) result.imageSize = sides[0].side;

  await checkSideFiles(dir, result, sides);
  if (problems.length === 0) await testRuns(dir, result);
  result.ok = problems.length === 0;
  return result;
}

/** A prompt like the ones analysis feeds, so the text tower's end-of-text pooling sees real ids. */
const TEST_PROMPT = 'a photo of a cat.';

/** The towers' test inputs, from the folder's own preprocessing and tokenizer; a problem when either cannot be read. */
async function testInputs(dir: string, problems: ModelProblem[], needText: boolean): Promise<TestInputs | undefined> {
  let inputs: Partial<TestInputs> = {};
  try {
    const config = await loadPreprocessorConfig(dir);
    inputs = { config, size: tensorSize(config) };
  } catch (err) {
    problems.push({ file: 'preprocessor_config.json', message: `cannot be used: ${firstLine(err)}` });
  }
  inputs.promptIds = [];
  if (needText) {
    try {
      inputs.promptIds = (await loadTokenizer(dir)).tokenize(TEST_PROMPT);
    } catch (err) {
      const files = await findTokenizerFiles(dir);
      const file = relative(dir, files.tokenizerJson ?? files.vocabJson ?? files.bpeVocabGz ?? join(dir, 'vocab.json'));
      problems.push({ file, message: `the tokenizer cannot be read: ${firstLine(err)}` });
    }
  }
  return problems.length ? undefined : (inputs as TestInputs);
}

/** Runs every tower once (CPU) and rejects NaN, ±Inf, all-zero or misshapen embeddings; checks the widths agree. */
async function testRuns(dir: string, result: ModelVerification): Promise<void> {
  const { problems } = result;
  const inputs = await testInputs(dir, problems, result.variants.some((v) => v.text));
  if (!inputs) return;
  const { testRunTower } = await import('./model-test-run');
  for (const vr of result.variants) {
    const widths: { file: string; width: number }[] = [];
    for (const tower of ['vision', 'text'] as Tower[]) {
      const report = vr[tower];
      if (!report) continue;
      const run = await testRunTower(join(dir, report.file), tower, inputs, report.dim);
      for (const message of run.problems) problems.push({ file: report.file, message });
      if (run.width !== undefined && run.problems.length === 0) widths.push({ file: report.file, width: run.width });
    }
    if (widths.length === 2 && widths[0].width !== widths[1].width) {
      problems.push({
        file: widths.map((w) => w.file).join(', '),
        message: `embedding widths disagree on a test batch: ${widths.map((w) => `${w.file} gives ${w.width}`).join(', ')}; image and text embeddings must have the same width`,
      });
    } else if (widths.length && result.dim === undefined) {
      result.dim = widths[0].width;
    }
  }
}

/** preprocessor_config.json must parse (and agree with the vision input size); the tokenizer must be complete. */
async function checkSideFiles(dir: string, result: ModelVerification, sides: { file: string; side: number }[]): Promise<void> {
  const { problems } = result;
  const preprocessorPath = join(dir, 'preprocessor_config.json');
  if (!(await isFile(preprocessorPath))) {
    problems.push({ file: 'preprocessor_config.json', message: 'missing (image size, crop, mean and std come from it)' });
  } else {
    try {
      const config = (await readJsonObject(preprocessorPath))!;
      const crop = config.crop_size;
      const side = typeof crop === 'number' ? crop : (crop as Record<string, unknown> | undefined)?.height;
      if (typeof side === 'number' && sides.length && sides[0].side !== side) {
        problems.push({
          file: 'preprocessor_config.json',
          message: `crop_size ${side} disagrees with ${sides[0].file}, which takes ${sides[0].side}×${sides[0].side} pixels`,
        });
      }
    } catch (err) {
      problems.push({ file: 'preprocessor_config.json', message: `not valid JSON: ${firstLine(err)}` });
    }
  }
  const hasText = result.variants.some((v) => v.text);
  const tokenizer = await findTokenizerFiles(dir);
  if (hasText && !tokenizerUsable(tokenizer)) {
    const file = tokenizer.vocabJson ? 'merges.txt' : tokenizer.mergesTxt ? 'vocab.json' : 'vocab.json, merges.txt';
    problems.push({
      file,
      message: 'missing: the text model needs a tokenizer (vocab.json + merges.txt, tokenizer.json, or bpe_simple_vocab_16e6.txt.gz)',
    });
  }
  for (const name of ['tokenizer.json', 'vocab.json', 'config.json']) {
    if (!(await isFile(join(dir, name)))) continue;
    try {
      await readJsonObject(join(dir, name));
    } catch (err) {
      problems.push({ file: name, message: `not valid JSON: ${firstLine(err)}` });
    }
  }
}
