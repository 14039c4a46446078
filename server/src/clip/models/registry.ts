// The CLIP models `gla` knows by id, and where their files live on the Hugging Face hub (transformers.js ONNX layout).

/** Weight formats a transformers.js export ships: fp32, dynamic int8 (`*_quantized`) and fp16. */
export type ModelVariant = 'fp32' | 'quantized' | 'fp16';
export const MODEL_VARIANTS: readonly ModelVariant[] = ['fp32', 'quantized', 'fp16'];

/** One file of a model, by its path inside the hub repo (and inside the local model folder). */
export interface RegistryFile {
  path: string;
  /** Expected bytes; when absent the hub's declared size is checked instead. */
  size?: number;
  /** Expected sha256 (lower-case hex); when absent the hub's declared LFS sha256 is checked instead. */
  sha256?: string;
}

export interface ModelEntry {
  id: string;
  /** Hugging Face repo holding the ONNX export. */
  repo: string;
  /** Git revision to fetch from. */
  revision: string;
  description: string;
  /** Width of image_embeds / text_embeds. */
  dim: number;
  /** Side of the square crop the vision tower expects. */
  imageSize: number;
  /** exp(logit_scale) of the trained model: 100 for OpenAI CLIP (clamped there in training). */
  logitScale: number;
  /** Text context length. */
  contextLength: number;
  variants: Record<ModelVariant, { vision: RegistryFile; text: RegistryFile }>;
  /** Preprocessing, tokenizer and config files every variant needs. */
  shared: RegistryFile[];
}

const SHARED_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'vocab.json', 'merges.txt'];

function transformersJsEntry(id: string, repo: string, dim: number, description: string): ModelEntry {
  const tower = (name: string, suffix: string): RegistryFile => ({ path: `onnx/${name}${suffix}.onnx` });
  return {
    id,
    repo,
    revision: 'main',
    description,
    dim,
    imageSize: 224,
    logitScale: 100,
    contextLength: 77,
    variants: {
      fp32: { vision: tower('vision_model', ''), text: tower('text_model', '') },
      quantized: { vision: tower('vision_model', '_quantized'), text: tower('text_model', '_quantized') },
      fp16: { vision: tower('vision_model', '_fp16'), text: tower('text_model', '_fp16') },
    },
    shared: SHARED_FILES.map((path) => ({ path })),
  };
}

const MODELS: readonly ModelEntry[] = [
  transformersJsEntry('clip-vit-base-patch32', 'Xenova/clip-vit-base-patch32', 512, 'OpenAI CLIP ViT-B/32'),
  transformersJsEntry('clip-vit-base-patch16', 'Xenova/clip-vit-base-patch16', 512, 'OpenAI CLIP ViT-B/16'),
  transformersJsEntry('clip-vit-large-patch14', 'Xenova/clip-vit-large-patch14', 768, 'OpenAI CLIP ViT-L/14'),
];

export function listModels(): readonly ModelEntry[] {
  return MODELS;
}

/** A known model by its id, its hub repo (`Xenova/…`) or OpenAI's repo name (`openai/…`); case-insensitive. */
export function findModel(id: string): ModelEntry | undefined {
  const key = id.trim().toLowerCase();
  return MODELS.find(
    (m) => m.id === key || m.repo.toLowerCase() === key || `openai/${m.id}` === key,
  );
}

export function isModelVariant(name: string): name is ModelVariant {
  return (MODEL_VARIANTS as readonly string[]).includes(name);
}

/** Every file a variant needs, small shared files first so that a bad repo fails before the big download. */
export function filesFor(entry: ModelEntry, variant: ModelVariant): RegistryFile[] {
  const towers = entry.variants[variant];
  return [...entry.shared, towers.vision, towers.text];
}

/** The hub's base URL: HF_ENDPOINT (a mirror, or a local server in tests), else huggingface.co. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const endpoint = env.HF_ENDPOINT?.trim() || 'https://huggingface.co';
  return endpoint.replace(/\/+$/, '');
}

/** `<endpoint>/<repo>/resolve/<revision>/<file>`, the hub's download URL for one file. */
export function fileUrl(entry: ModelEntry, file: RegistryFile | string, env: NodeJS.ProcessEnv = process.env): string {
  const path = typeof file === 'string' ? file : file.path;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${hubEndpoint(env)}/${entry.repo}/resolve/${encodeURIComponent(entry.revision)}/${encoded}`;
}
