import { promises as fs } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { UserError, throwIfCancelled } from '../errors';
import type { DecodeMode } from '../clip/images/preprocessor-config';
import { parseExecutionProviderRequest } from '../clip/inference/execution-providers';
import { walkFiles } from '../dataset/image-files';
import { debiasedLogits, glaLogits } from '../gla/ensemble';
import type { Matrix } from '../gla/matrix';
import { classGroups, EvaluationAccumulator } from '../gla/metrics';
import { probeLogits } from '../gla/probe/probe';
import { normalizeRows, zeroShotLogits } from '../gla/zero-shot';
import { writeFileAtomic } from '../store/atomic-write';
import { writeNpy } from '../store/npy';
import type { AnalysisHooks } from './analyze';
import { embedWithModel } from './embed-with-model';
import { classKey } from './finetuned/class-names';
import { readClassifierFolder } from './finetuned/classifier-folder';
import { reorderColumns } from './finetuned/finetuned-stage';
import { runClassifier } from './finetuned/run-classifier';
import { openModel } from './open-model';
import { columnsFromLogits, predictionsCsv } from './predictions-csv';
import { MODEL_KINDS, type ModelKind, type ModelMetrics, type PerModel } from './report';
import { loadRunArtifacts, type RunArtifacts } from './run-artifacts';

/** What `gla classify` and the gla.classify command ask: plain paths. */
export interface ClassifyRequest {
  folder: string;
  runDir: string;
  /** predictions.csv to write. */
  out: string;
  cacheDir: string;
  executionProvider?: string;
  batchSize?: number;
  /** A folder to write each model's logits into (<model>.npy, rows as in predictions.csv) and labels.npy. */
  saveLogits?: string;
}

/** What a classification wrote: the gla.classify command answers it (protocol.ts re-exports it). */
export interface ClassifyResult {
  predictionsPath: string;
  images: number;
  failed: number;
  /** When FOLDER has class folders: metrics.json's path and its figures. */
  metricsPath?: string;
  metrics?: ClassifyMetrics;
}

/** metrics.json: every model of the run scored on a folder of class folders (a robustness set, e.g. ImageNet-R). */
export interface ClassifyMetrics {
  folder: string;
  run: string;
  /** Images with a class folder, scored; the others were classified but not scored. */
  labelled: number;
  metrics: Partial<PerModel<ModelMetrics | null>>;
  classes: { name: string; support: number; recall: Partial<PerModel<number | null>> }[];
  notes: string[];
}

/** Where metrics.json goes: beside the predictions (predictions.csv → metrics.json, NAME.csv → NAME.metrics.json). */
export function metricsPathFor(out: string): string {
  const name = basename(out);
  return join(dirname(out), name === 'predictions.csv' ? 'metrics.json' : `${name.replace(/\.csv$/i, '')}.metrics.json`);
}

/**
 * The class of each image from its first folder under FOLDER, when FOLDER is a folder of class folders (some
 * top-level folder names a class of the run, by name or prompt); −1 for the rest. A folder that names no class is
 * then an error naming it.
 */
function classFolderLabels(root: string, paths: readonly string[], run: RunArtifacts): Int32Array | undefined {
  const byKey = new Map<string, number>();
  run.classes.forEach((c, j) => {
    byKey.set(classKey(c.prompt), j);
    byKey.set(classKey(c.name), j);
  });
  const firstFolder = (p: string): string | undefined => {
    const parts = relative(root, p).split(sep);
    return parts.length > 1 ? parts[0] : undefined;
  };
  const folders = new Set(paths.map(firstFolder).filter((f): f is string => f !== undefined));
  if (![...folders].some((f) => byKey.has(classKey(f)))) return undefined;
  const unknown = [...folders].filter((f) => !byKey.has(classKey(f))).sort();
  if (unknown.length) {
    throw new UserError(`${root}: class folder${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).map((f) => `'${f}'`).join(', ')}${unknown.length > 5 ? ', …' : ''} ${unknown.length > 1 ? 'name' : 'names'} no class of the run (its classes: ${run.classes.slice(0, 8).map((c) => `'${c.name}'`).join(', ')}${run.classes.length > 8 ? ', …' : ''})`);
  }
  return Int32Array.from(paths, (p) => {
    const f = firstFolder(p);
    return f === undefined ? -1 : byKey.get(classKey(f))!;
  });
}

/**
 * Applies a finished run to new images: the same model, text head, prior, fine-tuned model and temperatures, so
 * the predictions are the ones the run's report describes (zero-shot, debiased, fine-tuned, naive ensemble, GLA).
 * On a folder of class folders it also scores every model (metrics.json).
 */
export async function classifyFolder(request: ClassifyRequest, hooks: AnalysisHooks = {}): Promise<ClassifyResult> {
  const { signal } = hooks;
  const run = await loadRunArtifacts(request.runDir);
  const root = resolve(request.folder);
  const { images, others } = await walkFiles(root).catch(() => {
    throw new UserError(`${request.folder}: no such folder`);
  });
  const paths = [...images, ...others];
  if (paths.length === 0) throw new UserError(`${request.folder}: no files to classify`);
  // Class folders are checked before any image is embedded.
  const folderLabels = classFolderLabels(root, paths, run);
  hooks.onProgress?.({ stage: 'model', message: `opening model ${run.model.id}` });
  // New images are decoded as the run decoded its own (every pixel for runs made before shrink-on-load).
  const decode = run.model.decode ?? 'exact';
  const model = await openModel(run.model.dir, { cacheDir: request.cacheDir, allowDownload: false, decode, signal });
  if (model.namespace.modelId !== run.model.modelId || model.namespace.preprocessingVersion !== run.model.preprocessingVersion) {
    hooks.onNotice?.(`the model or its preprocessing changed since run ${request.runDir}; predictions may differ from the report`);
  }
  const provider = parseExecutionProviderRequest(request.executionProvider ?? 'auto');
  const embedded = await embedWithModel(paths, model, {
    cacheDir: request.cacheDir,
    provider,
    batchSize: request.batchSize,
    signal,
    onProgress: (done, total) => hooks.onProgress?.({ stage: 'embed', message: 'embedding images', done, total }),
  });
  throwIfCancelled(signal);
  if (embedded.paths.length === 0) throw new UserError(`none of the ${paths.length} files could be read (first: ${embedded.failed[0]?.path}: ${embedded.failed[0]?.error})`);
  const labels = folderLabels && Int32Array.from(embedded.indices, (i) => folderLabels[i]);
  const features = normalizeRows({ data: embedded.embeddings, rows: embedded.paths.length, cols: embedded.dim });
  if (features.cols !== run.head.cols) throw new UserError(`the run's text head is ${run.head.cols}-dimensional but the images embed to ${features.cols}`);
  const zeroShot = zeroShotLogits(features, run.head, run.model.logitScale);
  const logPrior = Float64Array.from(run.logPrior);
  const logits: Partial<PerModel<Matrix>> = { zeroShot, debiased: debiasedLogits(zeroShot, logPrior, run.temperature) };
  const notes: string[] = [];
  // Rows the fine-tuned model has logits for (all, unless the user's classifier could not run on some).
  let has: Uint8Array | undefined;
  const ft = await finetunedLogits(run, embedded.paths, { features, cacheDir: request.cacheDir, provider, batchSize: request.batchSize, decode, signal, notes, hooks });
  if (ft) {
    has = ft.has;
    const calibration = run.finetuned ?? run.probe!;
    const inputs = { zeroShot, finetuned: ft.logits, logPrior, zeroShotTemperature: run.temperature, finetunedTemperature: calibration.temperature };
    logits.finetuned = ft.logits;
    // The naive ensemble: GLA without − log q − log p_s.
    logits.ensemble = glaLogits({ ...inputs, logPrior: new Float64Array(logPrior.length) });
    logits.gla = glaLogits({ ...inputs, logTrainPrior: Float64Array.from(calibration.logTrainPrior) });
  }
  const columns = columnsFromLogits(logits as Parameters<typeof columnsFromLogits>[0]);
  if (has) {
    for (let r = 0; r < has.length; r++) {
      if (has[r]) continue;
      columns.finetuned![r] = columns.ensemble![r] = columns.gla![r] = -1;
      columns.probability[r] = NaN;
      for (const k of ['finetuned', 'ensemble', 'gla'] as const) if (columns.confidence?.[k]) columns.confidence[k]![r] = NaN;
    }
  }
  const rows = embedded.paths.map((p, r) => ({ path: relative(root, p).split(sep).join('/'), given: labels && labels[r] >= 0 ? run.classes[labels[r]].name : '' }));
  const names = run.classes.map((c) => c.name);
  await writeFileAtomic(request.out, predictionsCsv(rows, names, columns));
  if (request.saveLogits) await saveLogits(request.saveLogits, logits, labels);
  const result: ClassifyResult = { predictionsPath: request.out, images: embedded.paths.length, failed: embedded.failed.length };
  if (labels) {
    const metrics = scoreFolder(logits, labels, has, logPrior, names);
    const file: ClassifyMetrics = { folder: root, run: resolve(request.runDir), ...metrics, notes };
    result.metricsPath = metricsPathFor(request.out);
    result.metrics = file;
    await writeFileAtomic(result.metricsPath, JSON.stringify(file, null, 2) + '\n');
  }
  for (const note of notes) hooks.onNotice?.(note);
  return result;
}

/** z_ft for the new images: the run's probe, or the user's classifier run again; none for a logits-file run. */
async function finetunedLogits(
  run: RunArtifacts,
  paths: string[],
  options: { features: Matrix; cacheDir: string; provider: ReturnType<typeof parseExecutionProviderRequest>; batchSize?: number; decode: DecodeMode; signal?: AbortSignal; notes: string[]; hooks: AnalysisHooks },
): Promise<{ logits: Matrix; has?: Uint8Array } | undefined> {
  const user = run.finetuned?.user;
  if (!user) {
    return run.probe && run.probeWeights ? { logits: probeLogits(run.probeWeights, options.features) } : undefined;
  }
  if (user.source === 'logits') {
    options.notes.push(`the run's fine-tuned model is a logits file (${user.name}), which has no logits for new images: only the zero-shot and debiased columns are filled`);
    return undefined;
  }
  const folder = await readClassifierFolder(user.path);
  const run2 = await runClassifier(folder, paths, {
    cacheDir: options.cacheDir,
    provider: options.provider,
    batchSize: options.batchSize,
    decode: options.decode,
    signal: options.signal,
    onProgress: (done, total) => options.hooks.onProgress?.({ stage: 'embed', message: `running the fine-tuned model ${folder.name}`, done, total }),
  });
  if (run2.sha256 !== user.sha256) options.notes.push(`the fine-tuned model ${user.path} changed since the run (sha256 differs); its predictions may differ from the report`);
  if (run2.failed.length) options.notes.push(`the fine-tuned model could not run on ${run2.failed.length} image(s) (e.g. ${run2.failed[0].path}: ${run2.failed[0].error}); their fine-tuned, ensemble and GLA cells are blank`);
  const logits = { data: reorderColumns(run2.raw, folder.labels.length, paths.length, user.columnOf), rows: paths.length, cols: user.columnOf.length };
  return { logits, has: run2.failed.length ? run2.has : undefined };
}

/** Each model's metrics on the images with a class folder, grouped head/medium/tail by the run's q. */
function scoreFolder(logits: Partial<PerModel<Matrix>>, labels: Int32Array, has: Uint8Array | undefined, logPrior: Float64Array, names: string[]) {
  const classes = names.length;
  const groups = classGroups(logPrior);
  const round = (v: number | null): number | null => (v === null ? null : Number(v.toPrecision(10)));
  const metrics: ClassifyMetrics['metrics'] = {};
  const recall: Partial<PerModel<(number | null)[]>> = {};
  let labelled = 0;
  for (const y of labels) if (y >= 0) labelled++;
  for (const kind of MODEL_KINDS) {
    const m = logits[kind];
    if (!m) {
      metrics[kind] = null;
      continue;
    }
    const acc = new EvaluationAccumulator(classes);
    const usesFinetuned = kind === 'finetuned' || kind === 'ensemble' || kind === 'gla';
    labels.forEach((y, r) => {
      if (y >= 0 && (!usesFinetuned || !has || has[r])) acc.add(m.data, r, y);
    });
    const e = acc.result(groups);
    metrics[kind] = { top1: round(e.top1)!, meanRecall: round(e.meanRecall)!, head: round(e.head), medium: round(e.medium), tail: round(e.tail), nll: round(e.nll)!, ece: round(e.ece)! };
    recall[kind] = e.perClassRecall.map(round);
  }
  const support = new Float64Array(classes);
  for (const y of labels) if (y >= 0) support[y]++;
  const perClass = names.map((name, c) => ({
    name,
    support: support[c],
    recall: Object.fromEntries(MODEL_KINDS.filter((k) => recall[k]).map((k) => [k, recall[k]![c]])) as Partial<PerModel<number | null>>,
  }));
  return { labelled, metrics, classes: perClass };
}

/** Each model's logits as <model>.npy (float64, exactly as scored; rows as in predictions.csv), and labels.npy when every image has a class folder. */
async function saveLogits(dir: string, logits: Partial<PerModel<Matrix>>, labels: Int32Array | undefined): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const kind of MODEL_KINDS as readonly ModelKind[]) {
    const m = logits[kind];
    if (m) await writeNpy(join(dir, `${kind}.npy`), { dtype: 'float64', shape: [m.rows, m.cols], data: Float64Array.from(m.data) });
  }
  if (labels && labels.every((y) => y >= 0)) await writeNpy(join(dir, 'labels.npy'), { dtype: 'int32', shape: [labels.length], data: labels });
}
