// The first half of every run, labelled or not: the model, the image embeddings (DESIGN's first step of the
// pipeline) and the zero-shot logits (step 2's z). Plain data in, plain data out.
import { loadTokenizer } from '../clip/text/tokenizer';
import { parseExecutionProviderRequest } from '../clip/inference/execution-providers';
import { checkPromptLengths } from '../dataset/manifest-checks';
import type { DatasetItem } from '../dataset/discover';
import { UserError, throwIfCancelled } from '../errors';
import type { Matrix } from '../gla/matrix';
import { normalizeRowsInPlace } from '../gla/zero-shot';
import { LinearLogitsKernel, type LinearLogits } from '../gemm/linear-logits';
import { EmbeddingCache } from '../store/embedding-cache';
import type { AnalysisContext } from './analysis-context';
import type { EmbeddedImages } from './embed-images';
import { embedWithModel } from './embed-with-model';
import { DEFAULT_MODEL, openModel, type OpenedModel } from './open-model';
import { checkRunFits } from './memory-estimate';
import { loadPrecomputedEmbeddings } from './precomputed/precomputed-embeddings';
import { isClipRetrievalFolder, loadClipRetrievalEmbeddings } from './precomputed/clip-retrieval';
import type { Report } from './report';
import { buildTextHead, missingTextTower } from './text-head';

export interface Embedded {
  model: OpenedModel;
  embedded: EmbeddedImages;
  /** Where the embeddings were computed ('cache' when nothing ran). */
  executionProvider: string;
  /** Unreadable folders and images, relative to the dataset. */
  failed: Report['failed'];
}

/** --embeddings: a clip-retrieval output folder, or our own PREFIX.npy + PREFIX.json. */
async function loadEmbeddingsFrom(path: string, dataset: AnalysisContext['dataset']): Promise<EmbeddedImages & { model?: string }> {
  return (await isClipRetrievalFolder(path)) ? loadClipRetrievalEmbeddings(path, dataset.items, dataset.root) : loadPrecomputedEmbeddings(path, dataset.items);
}

/** Opens the model (downloading a known id's files) and embeds every image through the cache, or reads them precomputed. */
export async function embedStage(ctx: AnalysisContext): Promise<Embedded> {
  const { request, dataset, templates, timings, progress, hooks } = ctx;
  const { signal } = hooks;
  // A bad --provider is refused before anything is downloaded or read.
  const provider = parseExecutionProviderRequest(request.executionProvider ?? 'auto');
  const precomputed = request.embeddings ? await loadEmbeddingsFrom(request.embeddings, dataset) : undefined;
  const modelArg = request.model ?? dataset.model ?? precomputed?.model ?? DEFAULT_MODEL;
  progress('model', `opening model ${modelArg}`);
  const model = await openModel(modelArg, {
    cacheDir: request.cacheDir,
    allowDownload: request.allowDownload ?? true,
    decode: request.exactDecode ? 'exact' : 'shrink-on-load',
    signal,
    onProgress: (p) => progress('model', `downloading ${p.file}`, p.done, p.total),
  });
  timings.lap('model');
  // Zero-shot needs the text tower: a folder without one is refused now, before any image is embedded.
  if (!model.folder.textPath) throw missingTextTower(model.folder.dir);
  // A size this machine cannot hold is refused now, with the estimate, rather than by running out of memory later.
  const dim = precomputed?.dim ?? model.folder.dim;
  if (dim) checkRunFits({ images: dataset.items.length, classes: dataset.classes.length, dim, labelFree: dataset.labelFree, finetuned: !!(request.finetuned ?? dataset.finetuned) });
  // The CLI shows the prompt lengths the language server checks; the model's own tokenizer counts them.
  if (dataset.manifest && hooks.onManifestWarning) {
    const tokenizer = await loadTokenizer(model.folder.dir).catch(() => undefined);
    if (tokenizer) for (const p of checkPromptLengths(dataset.manifest, tokenizer, templates)) hooks.onManifestWarning(`${dataset.manifest.path}:${p.range.start.line + 1}:${p.range.start.character + 1}: ${p.message}`);
  }

  const embedded: EmbeddedImages & { executionProvider?: string } =
    precomputed ??
    (await embedWithModel(
      dataset.items.map((i) => i.path),
      model,
      {
        cacheDir: request.cacheDir,
        provider,
        batchSize: request.batchSize,
        signal,
        onProgress: (done, total, cached) => progress('embed', `embedding images${cached ? ` (${cached} cached)` : ''}`, done, total),
      },
    ));
  const relativeOf = new Map(dataset.items.map((i) => [i.path, i.relative]));
  const failed = [...dataset.failed, ...embedded.failed.map((f) => ({ path: relativeOf.get(f.path) ?? f.path, error: f.error }))];
  if (embedded.paths.length === 0) {
    const first = failed[0] ? ` (first: ${failed[0].path}: ${failed[0].error})` : '';
    throw new UserError(dataset.items.length ? `none of the ${dataset.items.length} images could be read${first}` : `no images found in ${dataset.root}${first}`);
  }
  timings.lap('embed');
  throwIfCancelled(signal);
  return { model, embedded, executionProvider: embedded.executionProvider ?? 'cache', failed };
}

export interface ZeroShotResult extends Embedded {
  /** The dataset items that have an embedding, in row order. */
  items: DatasetItem[];
  /** Normalised image embeddings, N × D, float32. */
  features: Matrix;
  /** The class head t_c, C × D. */
  head: Matrix;
  /** s·t_c, C × D: z = s·⟨norm(x), t_c⟩ is computed from it in row blocks, never held whole; the probe's warm start. */
  scaledHead: Float64Array;
  /** ONNX Runtime's GEMM for large problems (images × classes × dims ≥ GEMM_THRESHOLD); exact JavaScript below. */
  linear?: LinearLogits;
  /** Releases the GEMM session; the run calls it once it is done. */
  release(): Promise<void>;
}

/** Images × classes × dims from which matrix products run on ONNX Runtime (below, JavaScript is as fast and exact). */
export const GEMM_THRESHOLD = 1 << 20;

/** Step 2's z: the class head from prompts × templates (cached), and the kernel that computes the zero-shot logits. */
export async function zeroShotStage(ctx: AnalysisContext, embedded: Embedded): Promise<ZeroShotResult> {
  const { request, dataset, templates, timings, progress } = ctx;
  const { model } = embedded;
  progress('zeroShot', `encoding ${dataset.classes.length} × ${templates.length} prompts`);
  const textCache = new EmbeddingCache(request.cacheDir, { modelId: model.textModelId, preprocessingVersion: 'clip-bpe-1' });
  const head = await buildHead(ctx, model, textCache);
  const rows = embedded.embedded;
  const items = rows.indices.map((i) => dataset.items[i]);
  // The embeddings are this run's own copy: normalised in place, they are the N × D features (no second copy).
  const features = normalizeRowsInPlace({ data: rows.embeddings, rows: rows.paths.length, cols: rows.dim });
  if (head.cols !== features.cols) {
    throw new UserError(
      ctx.request.embeddings
        ? `the embeddings in ${ctx.request.embeddings} are ${features.cols}-dimensional but model ${model.folder.id}'s text tower is ${head.cols}-dimensional: give --model the model that made them`
        : `the model's text embeddings are ${head.cols}-dimensional but its image embeddings are ${features.cols}-dimensional`,
    );
  }
  const kernel = features.rows * head.rows * features.cols >= GEMM_THRESHOLD ? await LinearLogitsKernel.create() : undefined;
  timings.lap('zeroShot');
  throwIfCancelled(ctx.hooks.signal);
  const scaledHead = Float64Array.from(head.data, (v) => v * model.folder.logitScale);
  return { ...embedded, items, features, head, scaledHead, linear: kernel?.logits, release: async () => kernel?.release() };
}

function buildHead(ctx: AnalysisContext, model: OpenedModel, cache: EmbeddingCache): Promise<Matrix> {
  return buildTextHead(model, ctx.dataset.classes.map((c) => c.prompt), ctx.templates, cache, {
    provider: parseExecutionProviderRequest(ctx.request.executionProvider ?? 'auto'),
    signal: ctx.hooks.signal,
    onProgress: (done, total) => ctx.progress('zeroShot', 'encoding prompts', done, total),
  });
}
