import { join, resolve } from 'node:path';
import { DEFAULT_TEMPLATES, expandTemplates } from '../clip/text/templates';
import { discoverDataset } from '../dataset/discover';
import { CancelledError, UserError, throwIfCancelled } from '../errors';
import { matchPrior } from '../gla/label-free';
import type { TemperatureRule } from '../gla/temperature';
import { writeFileAtomic } from '../store/atomic-write';
import { removeCacheLeftovers } from '../store/leftovers';
import { Timings, type AnalysisContext } from './analysis-context';
import { embedStage, zeroShotStage, type ZeroShotResult } from './embedding-stages';
import { fitStage, scoreStage, type Fitted } from './labelled-stages';
import { predictionsCsv, type PredictionColumns, type PredictionRow } from './predictions-csv';
import { argmaxRow, type Matrix } from '../gla/matrix';
import { logSumExpRow } from '../gla/softmax';
import { javascriptLinearLogits } from '../gemm/linear-logits';
import { buildReport, type ReportInputs } from './report-builder';
import type { Report } from './report';
import { withoutReviewed } from '../store/reviewed-issues';
import { DEFAULT_LABEL_ISSUE_THRESHOLD } from '../gla/label-issue-threshold';
import { saveRunArtifacts, type RunArtifacts } from './run-artifacts';
import { inside, newRunId, PendingRun, runsFolder } from './run-folder';

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
  /**
   * The user's own fine-tuned model (DESIGN step 4): a Hugging Face image-classification ONNX folder, or a logits
   * PREFIX (PREFIX.npy + PREFIX.json). Defaults to gla.yaml's `finetuned:`; absent: the run's linear probe.
   */
  finetuned?: string;
  /** p_s for a fine-tuned model trained elsewhere (--train-prior): probabilities, by class name when `classes` is given. */
  trainPrior?: { values: number[]; classes?: string[]; source: string };
  /** The few-shot protocol once per seed (with `shots`): one report of mean ± sd, per-seed runs beside it. */
  seeds?: number[];
  /** How T is chosen: by likelihood jointly with q (default), or the reference's confidence rule. */
  temperatureRule?: TemperatureRule;
  allowDownload?: boolean;
  /** Decode every pixel of JPEG and WebP as PIL does (--exact-decode), instead of shrink-on-load. */
  exactDecode?: boolean;
  /** gla.labelIssues.threshold: recorded in report.json; every confident-learning candidate is kept there. */
  labelIssueThreshold?: number;
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

  if (request.finetuned && dataset.labelFree) throw new UserError('--finetuned needs labelled images: a label-free run has no fine-tuned model to calibrate');
  // The dataset is never written: an --out inside a folder dataset is refused before anything is created.
  if (request.out && !dataset.fromCsv && inside(resolve(request.out), dataset.root)) {
    throw new UserError(`--out ${request.out} is inside the dataset ${dataset.root}, which GLA never writes to; give a folder outside it`);
  }
  const pending = await PendingRun.create(request.out ?? join(runsFolder(request.workspaceRoot ?? process.cwd()), newRunId()));
  await removeCacheLeftovers(request.cacheDir);
  try {
    const result = await analyzeInto(pending, { request, hooks, dataset, templates, timings, progress });
    const runDir = await pending.commit();
    return { runDir, report: result };
  } catch (err) {
    await pending.discard();
    throw err;
  }
}

/**
 * The stages in order, each a function with plain data in and out: embed → zero-shot → (label-free prior, or
 * prior → fine-tuned → ensemble and score → label issues) → write the run.
 */
async function analyzeInto(pending: PendingRun, ctx: AnalysisContext): Promise<Report> {
  const zs = await zeroShotStage(ctx, await embedStage(ctx));
  try {
    const outputs = ctx.dataset.labelFree ? await labelFreeStage(ctx, zs) : await labelledOutputs(ctx, zs, await fitStage(ctx, zs));
    const report = await writeRun(ctx, pending, zs, outputs);
    if (ctx.hooks.signal?.aborted) throw new CancelledError();
    return report;
  } finally {
    await zs.release();
  }
}

/** What a run writes beyond what every run shares. */
interface RunOutputs {
  csv: string;
  artifacts: Omit<RunArtifacts, 'version' | 'model' | 'classes' | 'templates' | 'head'>;
  report: Pick<ReportInputs, 'logPrior' | 'prior' | 'scored' | 'probe' | 'finetuned' | 'labelIssues' | 'labelIssueRows' | 'unestimatedPrior' | 'notes'>;
}

/** Step 7: label-free prior matching to π, on the whole N × C zero-shot matrix (the one such matrix the run holds). */
async function labelFreeStage(ctx: AnalysisContext, zs: ZeroShotResult): Promise<RunOutputs> {
  ctx.progress('prior', 'matching the prior (label-free)');
  const target = ctx.request.targetPrior ? Float64Array.from(ctx.request.targetPrior) : undefined;
  const zeroShot = await (zs.linear ?? javascriptLinearLogits)(zs.features, zs.items.map((_, r) => r), { weights: zs.scaledHead, classes: zs.head.rows });
  const prior = matchPrior(zeroShot, { target });
  ctx.timings.lap('prior');
  return {
    csv: predictionsCsv(predictionRows(ctx, zs), classNames(ctx), labelFreeColumns(zeroShot, prior.logPrior, prior.temperature)),
    artifacts: { labelFree: true, temperature: prior.temperature, logPrior: Array.from(prior.logPrior) },
    report: {
      logPrior: prior.logPrior,
      prior: { temperature: prior.temperature, temperatureRule: 'fixed', fittedOn: `all ${zs.items.length} images, matched to a ${target ? 'declared' : 'uniform'} target prior` },
      labelIssues: [],
      labelIssueRows: [],
      notes: ['label-free: no labels, so no probe, no GLA and no metrics; predictions are zero-shot and debiased zero-shot'],
    },
  };
}

/** predictions.csv's zero-shot and debiased columns, the debiased logits z/T − log q formed one row at a time (step 3). */
function labelFreeColumns(zeroShot: Matrix, logPrior: Float64Array, temperature: number): PredictionColumns {
  const { data, rows, cols } = zeroShot;
  const beta = 1 / temperature;
  const debiased = new Float64Array(cols);
  const columns = { zeroShot: new Int32Array(rows), debiased: new Int32Array(rows), probability: new Float64Array(rows), confidence: { zeroShot: new Float64Array(rows) } };
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) debiased[j] = beta * data[off + j] - logPrior[j];
    const best = argmaxRow(debiased, 0, cols);
    columns.zeroShot[i] = argmaxRow(data, i, cols);
    columns.confidence.zeroShot[i] = Math.exp(data[off + columns.zeroShot[i]] - logSumExpRow(data, off, cols));
    columns.debiased[i] = best;
    columns.probability[i] = Math.exp(debiased[best] - logSumExpRow(debiased, 0, cols));
  }
  return columns;
}

/** Steps 3, 5, 8, 9 on the fitted models: GLA, the scores, the label issues, and what the run writes of them. */
async function labelledOutputs(ctx: AnalysisContext, zs: ZeroShotResult, fitted: Fitted): Promise<RunOutputs> {
  const { data, prior: fittedPrior, finetuned, probe, user } = fitted;
  const { prior } = fittedPrior;
  const { predictions, probability, confidence, scored, issues, notes } = await scoreStage(ctx, fitted);
  const models = probe?.models;
  return {
    csv: predictionsCsv(predictionRows(ctx, zs), classNames(ctx), { ...predictions, probability, confidence }),
    artifacts: {
      labelFree: false,
      temperature: prior.temperature,
      logPrior: Array.from(prior.logPrior),
      finetuned: { temperature: finetuned.temperature, logTrainPrior: Array.from(finetuned.logTrainPrior), ...(user ? { user: user.artifact } : {}) },
      ...(models ? { probe: { lambda: models.probe.lambda, temperature: models.ftTemperature, logTrainPrior: Array.from(models.logTrainPrior) }, probeWeights: models.probe } : {}),
    },
    report: {
      logPrior: prior.logPrior,
      prior: {
        temperature: prior.temperature,
        temperatureRule: prior.temperatureRule,
        fittedOn: fittedPrior.priorFittedOn === 'train+val' ? `train ∪ val (${data.train.length + data.val.length} images; few shots)` : `val (${data.val.length} images)`,
      },
      scored,
      finetuned: finetuned.source,
      probe: models && { lambda: models.probe.lambda, temperature: models.ftTemperature, candidates: models.probeSelection },
      labelIssues: issues,
      labelIssueRows: zs.embedded.indices,
      unestimatedPrior: fittedPrior.unlabelled,
      notes: [...fitted.notes, ...notes],
    },
  };
}

const classNames = (ctx: AnalysisContext): string[] => ctx.dataset.classes.map((c) => c.name);

function predictionRows(ctx: AnalysisContext, zs: ZeroShotResult): PredictionRow[] {
  const names = classNames(ctx);
  return zs.items.map((i) => ({ path: i.relative, split: i.split === 'none' ? '' : i.split, given: i.label >= 0 ? names[i.label] : '' }));
}

/** What every run writes, label-free or not: predictions.csv, the artifacts for classify, then report.json. */
async function writeRun(ctx: AnalysisContext, pending: PendingRun, zs: ZeroShotResult, outputs: RunOutputs): Promise<Report> {
  const { dataset, templates, timings, progress } = ctx;
  const { model, head } = zs;
  progress('report', 'writing the report');
  await writeFileAtomic(pending.path('predictions.csv'), outputs.csv);
  await saveRunArtifacts(pending.dir, {
    version: 1,
    model: { id: model.folder.id, dir: model.folder.dir, variant: model.folder.variant, logitScale: model.folder.logitScale, ...model.namespace, decode: model.config.decode },
    classes: dataset.classes,
    templates,
    head,
    ...outputs.artifacts,
  });
  timings.lap('report');
  timings.total();
  const report = buildReport({
    ...outputs.report,
    runId: pending.finalDir.split(/[\\/]/).pop()!,
    createdAt: new Date().toISOString(),
    model: { id: model.folder.id, dim: zs.features.cols, executionProvider: zs.executionProvider, decode: model.config.decode },
    dataset,
    templates,
    failed: zs.failed,
    embeddings: { cached: zs.embedded.cached, computed: zs.embedded.computed },
    timings: timings.seconds,
  });
  // Images marked "not an error" (unchanged since) are left out and counted; the threshold applies when shown.
  const reviewed = await withoutReviewed(report.labelIssues, ctx.request.workspaceRoot ?? process.cwd(), dataset.root, ctx.hooks.onNotice);
  report.labelIssues = reviewed.labelIssues;
  report.labelIssuesReviewed = reviewed.reviewed;
  report.labelIssueThreshold = ctx.request.labelIssueThreshold ?? DEFAULT_LABEL_ISSUE_THRESHOLD;
  await writeFileAtomic(pending.path('report.json'), JSON.stringify(report, null, 2) + '\n');
  return report;
}
