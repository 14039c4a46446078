// One test batch through a tower: weights can load and declare CLIP's interface yet produce NaN or Inf, which only
// running them shows. CPU only, so the verdict does not depend on the machine's accelerator.
import { availableParallelism } from 'node:os';
import { onnxRuntime, type OnnxRuntime, type Ort } from '../inference/onnx-runtime';
import { float16ToFloat32, float32ToFloat16 } from '../../store/float16';
import type { Tower } from './model-layout';
import type { PreprocessorConfig } from '../images/preprocessor-config';

/** What the towers are fed: an image-sized pattern normalised as preprocessing would, and one tokenized prompt. */
export interface TestInputs {
  size: { height: number; width: number };
  config: PreprocessorConfig;
  /** The prompt's ids, start and end of text included, unpadded. */
  promptIds: number[];
}

export interface TestRun {
  problems: string[];
  /** The embedding width the tower actually returned. */
  width?: number;
}

/** CLIP's context when the model leaves it dynamic. */
const CONTEXT_LENGTH = 77;

/** A deterministic, textured test image (a flat grey can hide faults), as normalised pixel_values [1,3,H,W]. */
function testImage({ size: { height, width }, config }: TestInputs): Float32Array {
  const pixels = new Float32Array(3 * height * width);
  for (let c = 0; c < 3; c++) {
    const mean = config.doNormalize ? config.imageMean[c] : 0;
    const std = config.doNormalize ? config.imageStd[c] : 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const value = ((x * 7 + y * 13 + c * 29) % 256) / 255;
        pixels[(c * height + y) * width + x] = (value - mean) / std;
      }
    }
  }
  return pixels;
}

function inputType(session: Ort.InferenceSession, name: string): string | undefined {
  const meta = session.inputMetadata.find((m) => m.name === name);
  return meta?.isTensor ? String(meta.type) : undefined;
}

function contextLength(session: Ort.InferenceSession): number {
  const meta = session.inputMetadata.find((m) => m.name === 'input_ids');
  const length = meta?.isTensor ? meta.shape[1] : undefined;
  return typeof length === 'number' && length > 0 ? length : CONTEXT_LENGTH;
}

async function feeds(ort: OnnxRuntime, session: Ort.InferenceSession, tower: Tower, inputs: TestInputs) {
  if (tower === 'vision') {
    const { height, width } = inputs.size;
    const pixels = testImage(inputs);
    const dims = [1, 3, height, width];
    const tensor = inputType(session, 'pixel_values') === 'float16'
      ? new ort.Tensor('float16', float32ToFloat16(pixels), dims)
      : new ort.Tensor('float32', pixels, dims);
    return { pixel_values: tensor };
  }
  const length = contextLength(session);
  const ids = new Array<number>(length).fill(0);
  const mask = new Array<number>(length).fill(0);
  const prompt = inputs.promptIds.length > length ? [...inputs.promptIds.slice(0, length - 1), inputs.promptIds.at(-1)!] : inputs.promptIds;
  prompt.forEach((id, k) => {
    ids[k] = id;
    mask[k] = 1;
  });
  const ints = (values: number[], name: string) =>
    inputType(session, name) === 'int32'
      ? new ort.Tensor('int32', Int32Array.from(values), [1, length])
      : new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, length]);
  const out: Record<string, Ort.Tensor> = { input_ids: ints(ids, 'input_ids') };
  if (session.inputNames.includes('attention_mask')) out.attention_mask = ints(mask, 'attention_mask');
  return out;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').find((l) => l.trim())?.trim() ?? 'unknown error';
}

/** Problems with one test output: wrong shape, NaN, ±Inf, or all zeros (which no normalisation survives). */
function judge(tensor: Ort.Tensor | undefined, name: string, what: string, dim: number | undefined): TestRun {
  if (!tensor) return { problems: [`returned no ${name} on ${what}`] };
  if (tensor.type !== 'float32' && tensor.type !== 'float16') return { problems: [`${name} is ${tensor.type} on ${what}, expected float32`] };
  const shape = `[${tensor.dims.join(',')}]`;
  const width = tensor.dims[1];
  if (tensor.dims.length !== 2 || tensor.dims[0] !== 1 || !(width > 0)) {
    return { problems: [`${name} has shape ${shape} on ${what}, expected [1,D]`] };
  }
  if (dim !== undefined && width !== dim) return { problems: [`${name} has shape ${shape} on ${what}, but the model declares [N,${dim}]`] };
  const values = tensor.type === 'float16' ? float16ToFloat32(tensor.data as Uint16Array) : (tensor.data as Float32Array);
  let nan = 0;
  let inf = 0;
  let zero = 0;
  for (const v of values) {
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) inf++;
    else if (v === 0) zero++;
  }
  const count = (n: number) => `${n} of ${values.length} values`;
  if (nan) return { problems: [`produced NaN on ${what} (${count(nan)}) — the weights are broken`], width };
  if (inf) return { problems: [`produced ±Inf on ${what} (${count(inf)}) — the weights are broken or overflow`], width };
  if (zero === values.length) return { problems: [`produced an all-zero embedding on ${what}, which cannot be normalised — the weights are broken`], width };
  return { problems: [], width };
}

/** Runs the tower once on CPU and judges its output; `dim` is the width its metadata declares, when it does. */
export async function testRunTower(path: string, tower: Tower, inputs: TestInputs, dim?: number): Promise<TestRun> {
  const ort = onnxRuntime();
  const what = tower === 'vision' ? 'a test image' : 'a test prompt';
  const name = tower === 'vision' ? 'image_embeds' : 'text_embeds';
  let session: Ort.InferenceSession;
  try {
    // Full optimisation, as real runs use: a fused kernel can overflow where the plain graph would not.
    session = await ort.InferenceSession.create(path, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: Math.min(4, availableParallelism()),
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    });
  } catch (err) {
    return { problems: [`ONNX Runtime cannot open it for a test run: ${firstLine(err)}`] };
  }
  try {
    const result = await session.run(await feeds(ort, session, tower, inputs), [name]);
    return judge(result[name], name, what, dim);
  } catch (err) {
    return { problems: [`ONNX Runtime failed on ${what}: ${firstLine(err)}`] };
  } finally {
    await session.release();
  }
}
