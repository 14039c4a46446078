import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { loadTokenizer } from '../clip/text/tokenizer';
import { checkPromptLengths } from '../dataset/manifest-checks';
import { CancelledError, UserError, throwIfCancelled } from '../errors';
import { parseExecutionProviderRequest } from '../clip/inference/execution-providers';
import { DEFAULT_TEMPLATES, expandTemplates } from '../clip/text/templates';
import { discoverDataset, type Dataset } from '../dataset/discover';
import { debiasedLogits } from '../gla/ensemble';
import { matchPrior } from '../gla/label-free';
import { MIN_LABEL_ISSUE_EVIDENCE, classesBelowEvidence, findLabelIssues } from '../gla/label-issues';
import { takeLabels, takeRows, type Matrix } from '../gla/matrix';
import { probeLogits } from '../gla/probe/probe';
import { softmaxRows } from '../gla/softmax';
import type { TemperatureRule } from '../gla/temperature';
import { normalizeRows, zeroShotLogits } from '../gla/zero-shot';
import { writeFileAtomic } from '../store/atomic-write';
import { EmbeddingCache } from '../store/embedding-cache';
import { removeCacheLeftovers } from '../store/leftovers';
import { ProbeWarmStartStore } from '../store/probe-warm-starts';
import type { EmbeddedImages } from './embed-images';
import { embedWithModel } from './embed-with-model';
import { GemmKernels, onnxProbeAlgebra } from '../gemm/gemm-kernels';
import { crossFittedProbeLogits, fitPrior, fitProbe, glaFor, type LabelledData } from './fit-models';
import { DEFAULT_MODEL, openModel } from './open-model';
import { loadPrecomputedEmbeddings } from './precomputed-embeddings';
import { predictionsCsv, type PredictionRow } from './predictions-csv';
import { buildReport, type ReportInputs, type Scored } from './report-builder';
import type { PerModel, Report } from './report';
import { saveRunArtifacts, type RunArtifacts } from './run-artifacts';
import { inside, newRunId, PendingRun, runsFolder } from './run-folder';
import { buildTextHead } from './text-head';

/** What to analyse and how; plain data, shared by the CLI and the language server. */
export interface AnalysisRequest {
  /** A dataset folder, its gla.yaml, or a path,label[,split] CSV (file-system paths, not URIs). */
  dataset: string;
  /** Model id or folder; defaults to gla.yaml's `model:`, then clip-vit-base-patch32. */
  model?: string;
  /** Run folder; defaults to <workspaceRoot or dataset's parent>/.gla/runs/<id>/. */
  out?: string;
  workspaceRoot?: string;
  cacheDir: string;
  executionProvider?: string;
  batchSize?: number;
  /** Prompt templates (or set names like imagenet-80) overriding gla.yaml's. */
  templates?: string[];
  /** Paper protocol: K train images per class, min(K,4) for val. */
  shots?: number;
  seed?: number;
  labelFree?: boolean;
  /** Label-free mode's target prior π (uniform when absent). */
  targetPrior?: number[];
  /** PREFIX of precomputed embeddings (PREFIX.npy + PREFIX.json). */
  embeddings?: string;
  /** How T is chosen: by likelihood jointly with q (default), or the reference's confidence rule. */
  temperatureRule?: TemperatureRule;
  allowDownload?: boolean;
  /** CSV manifests: allow paths outside the CSV's folder (refused by default). */
  allowOutsidePaths?: boolean;
}

export type AnalysisStage = 'discover' | 'model' | 'embed' | 'zeroShot' | 'prior' | 'probe' | 'labelIssues' | 'report';

export interface AnalysisProgress {
  stage: AnalysisStage;
  message: string;
  done?: number;
  total?: number;
}

export interface AnalysisHooks {
  onProgress?(progress: AnalysisProgress): void;
  /** Execution-provider fallbacks and similar one-time notices. */
  onNotice?(message: string): void;
  /** gla.yaml's warnings, one line each (`file:line:col: message`); editors show them as diagnostics instead. */
  onManifestWarning?(line: string): void;
  signal?: AbortSignal;
}

export interface AnalysisResult {
  runDir: string;
  report: Report;
}

/** Digest of everything the probe fits depend on: features, labels, splits and the zero-shot warm start. */
function dataFingerprint(data: LabelledData): string {
  const hash = createHash('sha256');
  for (const a of [data.features.data, data.labels, Int32Array.from(data.train), Int32Array.from(data.val), Int32Array.from(data.test), data.initWeights]) {
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    hash.update('|');
  }
  return hash.digest('hex');
}

/** Images × classes × dims above which the probe's products go to ONNX Runtime (below, JavaScript is as fast and exact). */
const GEMM_THRESHOLD = 1 << 20;

/** Stage timer: seconds per stage for report.json's timings. */
class Timings {
  readonly seconds: Record<string, number> = {};
  private readonly started = performance.now();
  private mark = this.started;
  lap(stage: string): void {
    const now = performance.now();
    this.seconds[stage] = (this.seconds[stage] ?? 0) + (now - this.mark) / 1000;
    this.mark = now;
  }
  total(): void {
    this.seconds.total = (performance.now() - this.started) / 1000;
  }
}

/** Runs the whole pipeline: dataset → embeddings → zero-shot → prior → probe → GLA → report (DESIGN steps 1–9). */
export async function analyzeDataset(request: AnalysisRequest, hooks: AnalysisHooks = {}): Promise<AnalysisResult> {
  const { signal } = hooks;
  const progress = (stage: AnalysisStage, message: string, done?: number, total?: number): void => hooks.onProgress?.({ stage, message, done, total });
  const timings = new Timings();

  progress('discover', 'reading the dataset');
  const dataset = await discoverDataset(request.dataset, { shots: request.shots, seed: request.seed, labelFree: request.labelFree, allowOutsidePaths: request.allowOutsidePaths });
  for (const line of dataset.manifestWarnings) hooks.onManifestWarning?.(line);
  const templates = expandTemplates(request.templates?.length ? request.templates : dataset.templates?.length ? dataset.templates : DEFAULT_TEMPLATES);
  timings.lap('discover');
  throwIfCancelled(signal);

  // The dataset is never written: an --out inside a folder dataset is refused before anything is created.
  if (request.out && !dataset.fromCsv && inside(resolve(request.out), dataset.root)) {
    throw new UserError(`--out ${request.out} is inside the dataset ${dataset.root}, which GLA never writes to; give a folder outside it`);
  }
  const pending = await PendingRun.create(request.out ?? join(runsFolder(dataset.root, request.workspaceRoot ?? process.cwd()), newRunId()));
  await removeCacheLeftovers(request.cacheDir);
  try {
    const result = await analyzeInto(pending, dataset, templates, request, hooks, progress, timings);
    const runDir = await pending.commit();
    return { runDir, report: result };
  } catch (err) {
    await pending.discard();
    throw err;
  }
}

async function analyzeInto(
  pending: PendingRun,
  dataset: Dataset,
  templates: string[],
  request: AnalysisRequest,
  hooks: AnalysisHooks,
  progress: (stage: AnalysisStage, message: string, done?: number, total?: number) => void,
  timings: Timings,
): Promise<Report> {
  const { signal } = hooks;
  const provider = parseExecutionProviderRequest(request.executionProvider ?? 'auto');
  let precomputed: Awaited<ReturnType<typeof loadPrecomputedEmbeddings>> | undefined;
  if (request.embeddings) precomputed = await loadPrecomputedEmbeddings(request.embeddings, dataset.items);

  const modelArg = request.model ?? dataset.model ?? precomputed?.model ?? DEFAULT_MODEL;
  progress('model', `opening model ${modelArg}`);
  const model = await openModel(modelArg, {
    cacheDir: request.cacheDir,
    allowDownload: request.allowDownload ?? true,
    signal,
    onProgress: (p) => progress('model', `downloading ${p.file}`, p.done, p.total),
  });
  timings.lap('model');
  if (dataset.manifest && hooks.onManifestWarning) {
    const tokenizer = await loadTokenizer(model.folder.dir).catch(() => undefined);
    if (tokenizer) for (const p of checkPromptLengths(dataset.manifest, tokenizer, templates)) hooks.onManifestWarning(`${dataset.manifest.path}:${p.range.start.line + 1}:${p.range.start.character + 1}: ${p.message}`);
  }

  // Embeddings, through the cache (or precomputed elsewhere).
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
  const executionProvider = embedded.executionProvider ?? 'cache';
  const relativeOf = new Map(dataset.items.map((i) => [i.path, i.relative]));
  const failed = [...dataset.failed, ...embedded.failed.map((f) => ({ path: relativeOf.get(f.path) ?? f.path, error: f.error }))];
  if (embedded.paths.length === 0) {
    const first = failed[0] ? ` (first: ${failed[0].path}: ${failed[0].error})` : '';
    throw new UserError(dataset.items.length ? `none of the ${dataset.items.length} images could be read${first}` : `no images found in ${dataset.root}${first}`);
  }
  timings.lap('embed');
  throwIfCancelled(signal);

  // Step 2: zero-shot logits through the class head.
  progress('zeroShot', `encoding ${dataset.classes.length} × ${templates.length} prompts`);
  const textCache = new EmbeddingCache(request.cacheDir, { modelId: model.textModelId, preprocessingVersion: 'clip-bpe-1' });
  const head = await buildTextHead(model, dataset.classes.map((c) => c.prompt), templates, textCache, {
    provider,
    signal,
    onProgress: (done, total) => progress('zeroShot', 'encoding prompts', done, total),
  });
  const items = embedded.indices.map((i) => dataset.items[i]);
  const features = normalizeRows({ data: embedded.embeddings, rows: embedded.paths.length, cols: embedded.dim });
  if (head.cols !== features.cols) throw new UserError(`the model's text embeddings are ${head.cols}-dimensional but its image embeddings are ${features.cols}-dimensional`);
  const zeroShot = zeroShotLogits(features, head, model.folder.logitScale);
  timings.lap('zeroShot');
  throwIfCancelled(signal);

  const modelInfo = { id: model.folder.id, dim: features.cols, executionProvider };
  const names = dataset.classes.map((c) => c.name);
  const rows: PredictionRow[] = items.map((i) => ({ path: i.relative, split: i.split === 'none' ? '' : i.split, given: i.label >= 0 ? names[i.label] : '' }));
  const createdAt = new Date().toISOString();
  const runId = pending.finalDir.split(/[\\/]/).pop()!;
  const artifactsBase = {
    version: 1 as const,
    model: { id: model.folder.id, dir: model.folder.dir, variant: model.folder.variant, logitScale: model.folder.logitScale, ...model.namespace },
    classes: dataset.classes,
    templates,
    head,
  };

  // What every run writes, label-free or not: predictions.csv, the artifacts for classify, then report.json.
  const finish = async (
    csv: string,
    artifacts: RunArtifacts,
    inputs: Pick<ReportInputs, 'logPrior' | 'prior' | 'scored' | 'probe' | 'labelIssues' | 'labelIssueRows' | 'unestimatedPrior' | 'notes'>,
  ): Promise<Report> => {
    progress('report', 'writing the report');
    await writeFileAtomic(pending.path('predictions.csv'), csv);
    await saveRunArtifacts(pending.dir, artifacts);
    timings.lap('report');
    timings.total();
    const report = buildReport({
      ...inputs,
      runId,
      createdAt,
      model: modelInfo,
      dataset,
      failed,
      embeddings: { cached: embedded.cached, computed: embedded.computed },
      timings: timings.seconds,
    });
    await writeFileAtomic(pending.path('report.json'), JSON.stringify(report, null, 2) + '\n');
    return report;
  };

  if (dataset.labelFree) {
    // Step 7: label-free prior matching to π.
    progress('prior', 'matching the prior (label-free)');
    const target = request.targetPrior ? Float64Array.from(request.targetPrior) : undefined;
    const prior = matchPrior(zeroShot, { target });
    const debiased = debiasedLogits(zeroShot, prior.logPrior, prior.temperature);
    timings.lap('prior');
    return finish(
      predictionsCsv(rows, names, { zeroShot, debiased }),
      { ...artifactsBase, labelFree: true, temperature: prior.temperature, logPrior: Array.from(prior.logPrior) },
      {
        logPrior: prior.logPrior,
        prior: { temperature: prior.temperature, temperatureRule: 'fixed', fittedOn: `all ${items.length} images, matched to a ${target ? 'declared' : 'uniform'} target prior` },
        labelIssues: [],
        labelIssueRows: [],
        notes: ['label-free: no labels, so no probe, no GLA and no metrics; predictions are zero-shot and debiased zero-shot'],
      },
    );
  }

  // Steps 1, 2, 4, 6: q and T, the probe, T_ft.
  const labels = Int32Array.from(items, (i) => i.label);
  const split = (s: string): number[] => items.map((item, r) => (item.split === s ? r : -1)).filter((r) => r >= 0);
  const data: LabelledData = {
    features,
    zeroShot,
    labels,
    train: split('train'),
    val: split('val'),
    test: split('test'),
    initWeights: Float64Array.from(head.data, (v) => v * model.folder.logitScale),
  };
  progress('prior', 'estimating the pre-training prior q and the temperature');
  const fittedPrior = fitPrior(data, request.temperatureRule);
  timings.lap('prior');
  throwIfCancelled(signal);
  progress('probe', 'fitting the linear probe (λ on val)');
  // Large problems run the probe's matrix products on ONNX Runtime's GEMM; small ones stay exact in JavaScript.
  const kernels = items.length * names.length * features.cols >= GEMM_THRESHOLD ? await GemmKernels.create() : undefined;
  if (kernels) data.algebra = onnxProbeAlgebra(kernels);
  // Re-analysis starts every probe fit from the previous run's solution for this dataset and model.
  const warmStarts = new ProbeWarmStartStore(request.cacheDir, { datasetRoot: dataset.root, modelId: model.namespace.modelId, classes: names, dim: features.cols });
  data.previous = await warmStarts.load(names.length, features.cols);
  data.fingerprint = dataFingerprint(data);
  let fitted;
  let crossFitted;
  const all = items.map((_, r) => r);
  // λ k of K, fold f of F and L-BFGS iterations, at most every 100 ms (and whenever a fit completes); the wait for
  // one macrotask there lets a cancel through even while the probe's products run in JavaScript.
  let lastProbeReport = { at: -Infinity, done: -1 };
  const onProgress = async (done: number, total: number, message: string): Promise<void> => {
    const now = performance.now();
    if (done === lastProbeReport.done && now - lastProbeReport.at < 100) return;
    lastProbeReport = { at: now, done };
    progress('probe', message, done, total);
    await new Promise((resolve) => setImmediate(resolve));
  };
  try {
    fitted = await fitProbe(data, fittedPrior, { onProgress, signal });
    timings.lap('probe');
    progress('probe', 'cross-fitting the probe for out-of-sample predictions');
    const folds = await crossFittedProbeLogits(data, fitted, all, undefined, undefined, { onProgress, signal });
    crossFitted = folds.logits;
    if (folds.abstained) fitted.notes.push(`cross-fitting: ${folds.abstained} image(s) are the only one of their class outside their fold, so the probe abstains on them out of sample (GLA there is debiased zero-shot)`);
    await warmStarts.save({ fingerprint: data.fingerprint, byLambda: fitted.solutions, folds: folds.folds }, names.length, features.cols);
  } finally {
    await kernels?.release();
  }

  // Out-of-sample probe logits for every labelled image (step 8), and the main probe on test.
  // Only the test rows take the main probe's logits (an N × C matrix less at 10 000 classes).
  const mainProbe = probeLogits(fitted.probe, takeRows(features, data.test));
  const finetuned: Matrix = data.test.length ? { data: Float64Array.from(crossFitted.data), rows: all.length, cols: names.length } : crossFitted;
  data.test.forEach((r, m) => finetuned.data.set(mainProbe.data.subarray(m * names.length, (m + 1) * names.length), r * names.length));
  const debiased = debiasedLogits(zeroShot, fitted.prior.logPrior, fitted.prior.temperature);
  const gla = glaFor(fitted, zeroShot, finetuned);
  timings.lap('crossFit');
  throwIfCancelled(signal);

  // Metrics on test, else on the cross-fitted predictions of all labelled images.
  const evalRows = data.test.length ? data.test : all;
  const scored: Scored = {
    on: data.test.length ? 'test' : 'cross-validated (no test split)',
    labels: takeLabels(labels, evalRows),
    logits: {
      zeroShot: takeRows(zeroShot, evalRows),
      debiased: takeRows(debiased, evalRows),
      finetuned: takeRows(finetuned, evalRows),
      gla: takeRows(gla, evalRows),
    } satisfies PerModel<Matrix>,
  };

  // Step 8: confident learning on out-of-sample GLA probabilities, from the cross-fitted probe.
  progress('labelIssues', 'looking for mislabelled images');
  const glaCrossFitted = glaFor(fitted, zeroShot, crossFitted);
  const probabilities = { data: softmaxRows(glaCrossFitted.data, glaCrossFitted.rows, glaCrossFitted.cols), rows: glaCrossFitted.rows, cols: glaCrossFitted.cols };
  const issues = findLabelIssues(probabilities, labels, MIN_LABEL_ISSUE_EVIDENCE);
  const thin = classesBelowEvidence(labels, names.length, MIN_LABEL_ISSUE_EVIDENCE);
  if (thin.length) {
    const sample = thin.slice(0, 3).map((c) => `'${names[c]}'`).join(', ') + (thin.length > 3 ? ', …' : '');
    fitted.notes.push(
      thin.length === names.length
        ? `label issues: no image was checked, because every class has fewer than ${MIN_LABEL_ISSUE_EVIDENCE} labelled images (too little out-of-sample evidence)`
        : `label issues: ${thin.length} class(es) with fewer than ${MIN_LABEL_ISSUE_EVIDENCE} labelled images (${sample}) were not checked and are never suggested`,
    );
  }
  timings.lap('labelIssues');

  const report = await finish(
    predictionsCsv(rows, names, { zeroShot, debiased, finetuned, gla }),
    {
      ...artifactsBase,
      labelFree: false,
      temperature: fitted.prior.temperature,
      logPrior: Array.from(fitted.prior.logPrior),
      probe: { lambda: fitted.probe.lambda, temperature: fitted.ftTemperature, logTrainPrior: Array.from(fitted.logTrainPrior) },
      probeWeights: fitted.probe,
    },
    {
      logPrior: fitted.prior.logPrior,
      prior: {
        temperature: fitted.prior.temperature,
        temperatureRule: fitted.prior.temperatureRule,
        fittedOn: fitted.priorFittedOn === 'train+val' ? `train ∪ val (${data.train.length + data.val.length} images; few shots)` : `val (${data.val.length} images)`,
      },
      scored,
      probe: { lambda: fitted.probe.lambda, temperature: fitted.ftTemperature, candidates: fitted.probeSelection },
      labelIssues: issues,
      labelIssueRows: embedded.indices,
      unestimatedPrior: fitted.unlabelled,
      notes: fitted.notes,
    },
  );
  if (signal?.aborted) throw new CancelledError();
  return report;
}
