// ONNX Runtime sessions for CLIP's two towers: open a model file on the best execution provider, check that it has
// CLIP's inputs and outputs, and turn typed arrays into embeddings. Runs wherever it is imported: the inference worker
// (server/src/clip/inference/workers/inference-worker.ts) uses it so the language server's main thread never blocks.
import { promises as fs } from 'node:fs';
import { availableParallelism } from 'node:os';
import { onnxRuntime, type Ort } from './onnx-runtime';
import { UserError, describeError } from '../../errors';
import {
  defaultProviderSelector, providerConfig, type ExecutionProvider, type ExecutionProviderRequest,
  type ExecutionProviderSelector, type ProviderFallback,
} from './execution-providers';
import { float16ToFloat32, float32ToFloat16 } from '../../store/float16';


export interface OpenSessionOptions {
  /** Default `auto`. */
  provider?: ExecutionProviderRequest;
  /** Intra-op threads; default: every core this process may use. */
  threads?: number;
  /** Let idle intra-op threads spin between runs (onnxruntime's default); off frees cores for decoding. */
  spinning?: boolean;
  /** Default: the per-process selector, which reports each failed provider once. */
  selector?: ExecutionProviderSelector;
}

/** What an image model returns: CLIP's `image_embeds`, or an image classifier's `logits` (the user's fine-tuned model). */
export type ImageOutput = 'image_embeds' | 'logits';

export interface VisionSessionOptions extends OpenSessionOptions {
  /** Default `image_embeds`. */
  output?: ImageOutput;
}

interface SessionBase {
  readonly path: string;
  readonly session: Ort.InferenceSession;
  readonly provider: ExecutionProvider;
  readonly fallback?: ProviderFallback;
  readonly threads: number;
  /** Embedding width when the model declares it statically. */
  readonly dim?: number;
}

export interface VisionSession extends SessionBase {
  readonly tower: 'vision';
  readonly pixelType: 'float32' | 'float16';
  readonly outputType: 'float32' | 'float16';
  /** The input's spatial size when the model fixes it. */
  readonly imageSize?: { height: number; width: number };
  /** The output read: `image_embeds`, or `logits` for an image classifier. */
  readonly output: ImageOutput;
  /** A batch size the model fixes (a torch export without dynamic axes); batches are padded or split to it. */
  readonly batch?: number;
}

export interface TextSession extends SessionBase {
  readonly tower: 'text';
  readonly idsType: 'int64' | 'int32';
  readonly maskType: 'int64' | 'int32';
  readonly outputType: 'float32' | 'float16';
  /** Whether the model takes `attention_mask` (fed only then). */
  readonly hasAttentionMask: boolean;
  readonly contextLength?: number;
}

export type ClipSession = VisionSession | TextSession;

const PIXELS = 'pixel_values';
const IMAGE_EMBEDS = 'image_embeds';
const INPUT_IDS = 'input_ids';
const ATTENTION_MASK = 'attention_mask';
const TEXT_EMBEDS = 'text_embeds';
const LOGITS = 'logits';

/** onnxruntime session options for one provider: full graph optimisation, one thread pool sized to the cores. */
export function sessionOptions(provider: ExecutionProvider, threads: number, spinning = true): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [providerConfig(provider)],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    // One model runs one batch at a time; parallelism lives inside the ops.
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
    logSeverityLevel: 3,
    extra: { session: { 'intra_op.allow_spinning': spinning ? '1' : '0' } },
  };
}

export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

async function openSession(path: string, what: string, options: OpenSessionOptions) {
  try {
    if (!(await fs.stat(path)).isFile()) throw new UserError(`${path}: is not a file, expected the ${what} (.onnx)`);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${path}: no such file (the ${what})`);
  }
  const threads = options.threads ?? defaultThreads();
  const selector = options.selector ?? defaultProviderSelector();
  try {
    return {
      threads,
      ...(await selector.open(options.provider ?? 'auto', (provider) =>
        onnxRuntime().InferenceSession.create(path, sessionOptions(provider, threads, options.spinning)))),
    };
  } catch (err) {
    throw new UserError(`${path}: onnxruntime cannot load the ${what}: ${describeError(err)}`);
  }
}

function tensorMeta(session: Ort.InferenceSession, name: string, io: 'input' | 'output') {
  const list = io === 'input' ? session.inputMetadata : session.outputMetadata;
  const meta = list.find((m) => m.name === name);
  return meta?.isTensor ? meta : undefined;
}

function staticDim(shape: ReadonlyArray<number | string> | undefined, axis: number): number | undefined {
  const d = shape?.[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}

function requireIo(session: Ort.InferenceSession, path: string, what: string, name: string, io: 'input' | 'output', hint: string) {
  const meta = tensorMeta(session, name, io);
  if (meta) return meta;
  const names = io === 'input' ? session.inputNames : session.outputNames;
  throw new UserError(
    `${path}: the ${what} has no ${io} '${name}' (its ${io}s: ${names.join(', ') || 'none'}); ${hint}`,
  );
}

function floatType(type: string, path: string, what: string, name: string): 'float32' | 'float16' {
  if (type === 'float32' || type === 'float16') return type;
  throw new UserError(`${path}: the ${what}'s '${name}' is ${type}; expected float32 or float16`);
}

/** Opens a CLIP vision tower (`pixel_values` [N,3,H,W] -> `image_embeds` [N,D]), or an image classifier (-> `logits` [N,K]). */
export async function createVisionSession(path: string, options: VisionSessionOptions = {}): Promise<VisionSession> {
  const output = options.output ?? IMAGE_EMBEDS;
  const opened = await openSession(path, output === LOGITS ? 'image classifier' : 'vision model', options);
  return releasedOnError(opened.value, () => describeVision(path, opened, output));
}

/** Closes a session whose model turned out not to be CLIP's, so a refused model leaks nothing. */
async function releasedOnError<T>(session: Ort.InferenceSession, describe: () => T): Promise<T> {
  try {
    return describe();
  } catch (err) {
    await session.release();
    throw err;
  }
}

type Opened = Awaited<ReturnType<typeof openSession>>;

function describeVision(path: string, { value: session, provider, fallback, threads }: Opened, outputName: ImageOutput): VisionSession {
  const classifier = outputName === LOGITS;
  const what = classifier ? 'image classifier' : 'vision model';
  const input = requireIo(session, path, what, PIXELS, 'input',
    `${classifier ? 'an image classifier' : 'a CLIP vision model'} takes '${PIXELS}' float32 [N,3,H,W], as Hugging Face exports name it`);
  const output = requireIo(session, path, what, outputName, 'output',
    classifier
      ? `an image classifier returns '${LOGITS}' [N,K], one logit per class of config.json's id2label, as Hugging Face exports name it`
      : `a CLIP vision model returns '${IMAGE_EMBEDS}' [N,D] (the projected embedding, not last_hidden_state)`);
  const extra = session.inputNames.filter((n) => n !== PIXELS);
  if (extra.length > 0) {
    throw new UserError(`${path}: the ${what} needs inputs besides '${PIXELS}' (${extra.join(', ')}); expected only '${PIXELS}'`);
  }
  const height = staticDim(input.shape, 2);
  const width = staticDim(input.shape, 3);
  return {
    tower: 'vision', path, session, provider, fallback, threads,
    pixelType: floatType(input.type, path, what, PIXELS),
    outputType: floatType(output.type, path, what, outputName),
    dim: output.shape.length === 2 ? staticDim(output.shape, 1) : undefined,
    imageSize: height && width ? { height, width } : undefined,
    output: outputName,
    batch: staticDim(input.shape, 0),
  };
}

/** Opens a CLIP text tower (`input_ids` [N,L] int64, optional `attention_mask` -> `text_embeds` [N,D]). */
export async function createTextSession(path: string, options: OpenSessionOptions = {}): Promise<TextSession> {
  const opened = await openSession(path, 'text model', options);
  return releasedOnError(opened.value, () => describeText(path, opened));
}

function describeText(path: string, { value: session, provider, fallback, threads }: Opened): TextSession {
  const what = 'text model';
  const ids = requireIo(session, path, what, INPUT_IDS, 'input', `a CLIP text model takes '${INPUT_IDS}' int64 [N,77]`);
  const output = requireIo(session, path, what, TEXT_EMBEDS, 'output',
    `a CLIP text model returns '${TEXT_EMBEDS}' [N,D] (the projected embedding, not last_hidden_state)`);
  const extra = session.inputNames.filter((n) => n !== INPUT_IDS && n !== ATTENTION_MASK);
  if (extra.length > 0) {
    throw new UserError(`${path}: the ${what} needs inputs besides '${INPUT_IDS}' and '${ATTENTION_MASK}' (${extra.join(', ')})`);
  }
  const integerType = (name: string): 'int64' | 'int32' => {
    const type = tensorMeta(session, name, 'input')?.type ?? 'int64';
    if (type === 'int64' || type === 'int32') return type;
    throw new UserError(`${path}: the ${what}'s '${name}' is ${type}; expected int64`);
  };
  return {
    tower: 'text', path, session, provider, fallback, threads,
    idsType: integerType(INPUT_IDS),
    maskType: integerType(ATTENTION_MASK),
    outputType: floatType(output.type, path, what, TEXT_EMBEDS),
    hasAttentionMask: session.inputNames.includes(ATTENTION_MASK),
    contextLength: staticDim(ids.shape, 1),
    dim: output.shape.length === 2 ? staticDim(output.shape, 1) : undefined,
  };
}

/** The output as row-major float32 [n, D], converting fp16 outputs. */
function embeddings(result: Ort.InferenceSession.ReturnType, name: string, n: number, path: string): Float32Array {
  const tensor = result[name] as Ort.Tensor | undefined;
  if (!tensor) throw new Error(`${path}: onnxruntime returned no '${name}'`);
  if (tensor.dims[0] !== n || tensor.data.length % Math.max(n, 1) !== 0) {
    throw new UserError(`${path}: '${name}' has shape [${tensor.dims.join(',')}], expected [${n},D]`);
  }
  if (tensor.type === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  if (tensor.type !== 'float32') throw new UserError(`${path}: '${name}' is ${tensor.type}, expected float32`);
  return tensor.data as Float32Array;
}

/**
 * Embeds n preprocessed images, `pixels` being [n,3,h,w] float32 (CLIP-normalised). Returns [n,D] row-major,
 * not normalised, exactly as the model outputs it.
 */
export async function embedImages(session: VisionSession, pixels: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
  if (pixels.length !== n * 3 * h * w) {
    throw new RangeError(`embedImages: ${pixels.length} values for ${n}x3x${h}x${w}`);
  }
  const size = session.imageSize;
  if (size && (size.height !== h || size.width !== w)) {
    throw new UserError(
      `${session.path}: the vision model takes ${size.width}x${size.height} pixels but preprocessing made ${w}x${h}; ` +
        `check the size and crop in preprocessor_config.json`,
    );
  }
  const fixed = session.batch;
  if (fixed === undefined || fixed === n) return runImages(session, pixels, n, h, w);
  // A fixed batch size: run it in slices of that size, the last one padded with zeros and its padding dropped.
  const length = 3 * h * w;
  const parts: Float32Array[] = [];
  for (let start = 0; start < n; start += fixed) {
    const count = Math.min(fixed, n - start);
    const slice = new Float32Array(fixed * length);
    slice.set(pixels.subarray(start * length, (start + count) * length));
    const out = await runImages(session, slice, fixed, h, w);
    parts.push(out.subarray(0, (out.length / fixed) * count));
  }
  const dim = parts[0].length / Math.min(fixed, n);
  const joined = new Float32Array(n * dim);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

async function runImages(session: VisionSession, pixels: Float32Array, n: number, h: number, w: number): Promise<Float32Array> {
  const dims = [n, 3, h, w];
  const input = session.pixelType === 'float16'
    ? new (onnxRuntime().Tensor)('float16', float32ToFloat16(pixels), dims)
    : new (onnxRuntime().Tensor)('float32', pixels, dims);
  const result = await session.session.run({ [PIXELS]: input }, [session.output]);
  return embeddings(result, session.output, n, session.path);
}

/**
 * Embeds n tokenized texts: `inputIds` and `attentionMask` are [n,len] (len = 77 for CLIP). The mask is fed only if
 * the model declares it. Returns [n,D] row-major, not normalised.
 */
export async function embedTexts(
  session: TextSession, inputIds: BigInt64Array, attentionMask: BigInt64Array, n: number, len: number,
): Promise<Float32Array> {
  if (inputIds.length !== n * len || attentionMask.length !== n * len) {
    throw new RangeError(`embedTexts: ${inputIds.length} ids and ${attentionMask.length} mask values for ${n}x${len}`);
  }
  if (session.contextLength !== undefined && session.contextLength !== len) {
    throw new UserError(`${session.path}: the text model takes ${session.contextLength} tokens per text, got ${len}`);
  }
  const ints = (a: BigInt64Array, type: 'int64' | 'int32') =>
    type === 'int32' ? new (onnxRuntime().Tensor)('int32', Int32Array.from(a, Number), [n, len]) : new (onnxRuntime().Tensor)('int64', a, [n, len]);
  const feeds: Record<string, Ort.Tensor> = { [INPUT_IDS]: ints(inputIds, session.idsType) };
  if (session.hasAttentionMask) feeds[ATTENTION_MASK] = ints(attentionMask, session.maskType);
  const result = await session.session.run(feeds, [TEXT_EMBEDS]);
  return embeddings(result, TEXT_EMBEDS, n, session.path);
}

export async function releaseSession(session: ClipSession): Promise<void> {
  await session.session.release();
}
