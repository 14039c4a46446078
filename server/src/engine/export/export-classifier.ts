// `gla export`: a finished run's classifier as one Hugging Face image-classification ONNX folder (onnx/model.onnx:
// pixel_values → logits, config.json's id2label, preprocessor_config.json), computing what `gla classify` does.
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../errors';
import { loadPreprocessorConfig, preprocessingVersion, tensorSize, PREPROCESSOR_CONFIG_FILE } from '../../clip/images/preprocessor-config';
import { expectedTowerPath, findTower, isModelVariant, type ModelVariant } from '../../clip/models';
import { OnnxType } from '../../gemm/onnx-proto';
import type { AnalysisHooks } from '../analyze';
import { readClassifierFolder, type ClassifierFolder } from '../finetuned/classifier-folder';
import { REPORT_VERSION, type Report } from '../report';
import { loadRunArtifacts, type RunArtifacts } from '../run-artifacts';
import { ExportTarget } from './export-target';
import { headGraph } from './head-graph';
import { EXPORT_MODELS, headWeights, type ExportModel } from './head-weights';
import { headModel, LOGITS, mergedModel, PIXEL_VALUES } from './onnx-assembly';
import { prefixModel, type PrefixedModel } from './onnx-graph';
import { preprocessorJson } from './preprocessor-json';
import { compareWithFp32, type VariantCheck } from './variant-check';

export interface ExportRequest {
  runDir: string;
  out: string;
  /** Default: gla, or debiased for a label-free run. */
  model?: string;
  /** Default: the variant the run used (so the export reproduces it). `int8` is `quantized`. */
  variant?: string;
  cacheDir: string;
  executionProvider?: string;
}

export interface ExportResult {
  out: string;
  model: ExportModel;
  variant: ModelVariant;
  /** one-graph: onnx/model.onnx alone; two-models: the tower and the user's classifier beside a head graph. */
  layout: 'one-graph' | 'two-models';
  classes: number;
  files: string[];
  /** For fp16 and quantized exports: top-1 against the fp32 export on the run's test split. */
  variantCheck?: VariantCheck;
  notes: string[];
}

async function readReport(runDir: string): Promise<Report> {
  const file = join(runDir, 'report.json');
  let report: Report;
  try {
    report = JSON.parse(await fs.readFile(file, 'utf8')) as Report;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${runDir} is not a finished run folder (no report.json); pass a folder written by gla analyze` : `${file}: cannot be read (${code ?? (err as Error).message})`);
  }
  if (report.version !== REPORT_VERSION) {
    throw new UserError(`${file}: report version ${String(report.version)} is not the version ${REPORT_VERSION} this gla exports; analyze the dataset again with this version`);
  }
  if (report.seeds) throw new UserError(`${runDir} is a seeds run (mean ± sd over seeds): pass one of its seed-<s>/ run folders`);
  return report;
}

function parseModel(model: string | undefined, run: RunArtifacts): ExportModel {
  if (model === undefined) return run.labelFree ? 'debiased' : 'gla';
  const m = model === 'zeroShot' ? 'zero-shot' : model;
  if (!(EXPORT_MODELS as readonly string[]).includes(m)) throw new UserError(`--model ${model}: expected one of ${EXPORT_MODELS.join(', ')}`);
  return m as ExportModel;
}

function parseVariant(variant: string | undefined, run: RunArtifacts): ModelVariant {
  const v = variant === 'int8' ? 'quantized' : (variant ?? run.model.variant);
  if (!isModelVariant(v)) throw new UserError(`--variant ${variant}: expected fp32, fp16 or quantized (int8)`);
  return v;
}

async function towerFile(run: RunArtifacts, variant: ModelVariant): Promise<string> {
  if (!(await fs.stat(run.model.dir).then((s) => s.isDirectory(), () => false))) {
    throw new UserError(`the run's model folder ${run.model.dir} is gone; put the model back there (or analyze again) to export`);
  }
  const path = await findTower(run.model.dir, variant, 'vision');
  if (!path) throw new UserError(`${run.model.dir}: no ${expectedTowerPath(variant, 'vision')}, so no ${variant} variant to export (this model folder has the variants its onnx/ folder holds)`);
  return path;
}

function onlyValue(values: { name: string }[], want: string, what: string, path: string): number {
  const k = values.findIndex((v) => v.name === want);
  if (k < 0) throw new UserError(`${path}: has no ${what} '${want}' (it has ${values.map((v) => `'${v.name}'`).join(', ') || 'none'})`);
  return k;
}

/** Why two graphs cannot take one pixel_values: a different tensor size, preprocessing or opset; undefined if they can. */
function whyNotMerged(tower: PrefixedModel, towerPp: string, classifier: PrefixedModel, folder: ClassifierFolder, decode: RunArtifacts['model']['decode']): string | undefined {
  const a = tower.inputs[0].dims.slice(1).join('×');
  const b = classifier.inputs[0].dims.slice(1).join('×');
  if (a !== b) return `the vision tower takes ${a} pixels and ${folder.name} takes ${b}`;
  if (preprocessingVersion({ ...folder.config, decode: decode ?? 'exact' }) !== towerPp) return `${folder.name} preprocesses images differently from the vision tower`;
  for (const [domain, v] of classifier.opsets) {
    const t = tower.opsets.get(domain);
    if (t !== undefined && t !== v) return `${folder.name} uses ${domain || 'ONNX'} opset ${v} and the vision tower ${t}`;
  }
  return undefined;
}

/** Writes the export folder; nothing is left under `out` unless the whole folder was written. */
export async function exportClassifier(request: ExportRequest, hooks: AnalysisHooks = {}): Promise<ExportResult> {
  const runDir = resolve(request.runDir);
  const report = await readReport(runDir);
  const run = await loadRunArtifacts(runDir);
  const model = parseModel(request.model, run);
  const variant = parseVariant(request.variant, run);
  const head = headWeights(run, model, runDir);
  const towerPath = await towerFile(run, variant);
  const decode = run.model.decode ?? 'exact';
  const towerConfig = { ...(await loadPreprocessorConfig(run.model.dir)), decode };
  const towerRaw = JSON.parse(await fs.readFile(join(run.model.dir, PREPROCESSOR_CONFIG_FILE), 'utf8').catch(() => '{}')) as Record<string, unknown>;
  const tower = prefixModel(await fs.readFile(towerPath), towerPath, 'vision/');
  if (tower.inputs.length !== 1) throw new UserError(`${towerPath}: takes ${tower.inputs.length} inputs; an exported classifier takes pixel_values alone`);
  onlyValue(tower.inputs, PIXEL_VALUES, 'input', towerPath);
  const embeds = tower.outputs[onlyValue(tower.outputs, 'image_embeds', 'output', towerPath)];
  const notes: string[] = [];

  let classifier: { folder: ClassifierFolder; model: PrefixedModel; bytes: Buffer; logits: { name: string; elemType: number } } | undefined;
  const user = run.finetuned?.user;
  if (head.classifier && user) {
    const folder = await readClassifierFolder(user.path).catch((err: Error) => {
      throw new UserError(`the run's fine-tuned model ${user.path} cannot be read (${err.message}); put it back there to export ${model}`);
    });
    const bytes = await fs.readFile(folder.modelPath);
    const prefixed = prefixModel(bytes, folder.modelPath, 'classifier/');
    if (prefixed.inputs.length !== 1) throw new UserError(`${folder.modelPath}: takes ${prefixed.inputs.length} inputs; gla export merges a classifier that takes pixel_values alone`);
    const logits = prefixed.outputs[onlyValue(prefixed.outputs, LOGITS, 'output', folder.modelPath)];
    classifier = { folder, model: prefixed, bytes, logits };
  }

  const classes = run.classes.map((c) => c.name);
  const towerPp = preprocessingVersion(towerConfig);
  const apart = classifier && whyNotMerged(tower, towerPp, classifier.model, classifier.folder, decode);
  const layout = apart ? 'two-models' : 'one-graph';
  if (apart) notes.push(`${apart}, so the export is two models and a head graph (onnx/vision_model.onnx, onnx/classifier_model.onnx, onnx/head.onnx); see config.json's gla.layout`);
  const provenance = {
    model,
    variant,
    layout,
    formula: head.formula,
    run: { id: report.runId, dir: runDir, createdAt: report.createdAt, dataset: report.dataset.root },
    clip: { id: run.model.id, logitScale: run.model.logitScale, tower: towerPath, decode },
    prior: { fittedOn: report.prior.fittedOn ?? null, temperature: run.temperature, temperatureRule: report.prior.temperatureRule ?? null },
    finetuned: run.finetuned || run.probe ? { source: report.finetuned?.source ?? 'probe', name: user?.name ?? 'linear probe', temperature: (run.finetuned ?? run.probe)!.temperature } : null,
    embeddings: 'rounded to half precision, as the run cached them',
  };

  const target = await ExportTarget.create(request.out);
  try {
    const files: string[] = [];
    const write = async (file: string, data: string | Uint8Array) => {
      await fs.writeFile(target.path(file), data);
      files.push(file);
    };
    const metadata = { gla: JSON.stringify(provenance) };
    const embedsInput = { embeds: embeds.name, embedsType: embeds.elemType, logits: LOGITS };
    if (!apart) {
      const graph = headGraph(head, { ...embedsInput, embeds: tower.prefix + embeds.name, classifierLogits: classifier && classifier.model.prefix + classifier.logits.name });
      await write('onnx/model.onnx', mergedModel(classifier ? [tower, classifier.model] : [tower], graph, classes.length, metadata));
    } else {
      const c = classifier!;
      const graph = headGraph(head, { ...embedsInput, classifierLogits: 'classifier_logits' });
      const inputs = [
        { name: embeds.name, type: embeds.elemType, width: head.dim },
        { name: 'classifier_logits', type: c.logits.elemType || OnnxType.FLOAT, width: c.folder.labels.length },
      ];
      await write('onnx/head.onnx', headModel(graph, inputs, classes.length, metadata));
      await write('onnx/vision_model.onnx', await fs.readFile(towerPath));
      await write('onnx/classifier_model.onnx', c.bytes);
      await write('classifier_preprocessor_config.json', await fs.readFile(join(c.folder.dir, PREPROCESSOR_CONFIG_FILE)));
    }
    await write(PREPROCESSOR_CONFIG_FILE, JSON.stringify(preprocessorJson(towerRaw, towerConfig), null, 2) + '\n');
    let variantCheck: VariantCheck | undefined;
    if (variant !== 'fp32' && !apart) {
      hooks.onProgress?.({ stage: 'embed', message: `comparing the ${variant} export with fp32 on the test split` });
      variantCheck = await compareWithFp32({ run, runDir, report, target, classes, towerConfig, variantModel: target.path('onnx/model.onnx'), buildFp32: async () => {
        const fp32Path = await towerFile(run, 'fp32');
        const fp32 = prefixModel(await fs.readFile(fp32Path), fp32Path, 'vision/');
        const e = fp32.outputs[onlyValue(fp32.outputs, 'image_embeds', 'output', fp32Path)];
        const graph = headGraph(head, { embeds: fp32.prefix + e.name, embedsType: e.elemType, logits: LOGITS, classifierLogits: classifier && classifier.model.prefix + classifier.logits.name });
        return mergedModel(classifier ? [fp32, classifier.model] : [fp32], graph, classes.length, metadata);
      }, cacheDir: request.cacheDir, executionProvider: request.executionProvider, signal: hooks.signal, onProgress: hooks.onProgress });
    } else if (variant !== 'fp32') notes.push('the top-1 change against fp32 is measured only for a one-graph export');
    const config = {
      architectures: ['GlaClipClassifier'],
      model_type: 'gla-clip',
      num_labels: classes.length,
      id2label: Object.fromEntries(classes.map((name, k) => [String(k), name])),
      label2id: Object.fromEntries(classes.map((name, k) => [name, k])),
      gla: { ...provenance, ...(variantCheck ? { variantCheck } : {}), ...(apart ? { layoutNote: LAYOUT_NOTE } : {}) },
    };
    await write('config.json', JSON.stringify(config, null, 2) + '\n');
    const out = await target.commit();
    return { out, model, variant, layout, classes: classes.length, files, variantCheck, notes };
  } catch (err) {
    await target.discard();
    throw err;
  }
}

const LAYOUT_NOTE =
  'The vision tower and the fine-tuned classifier take different pixels, so they are two models: run onnx/vision_model.onnx on ' +
  'pixel_values made by preprocessor_config.json (output image_embeds) and onnx/classifier_model.onnx on pixel_values made by ' +
  'classifier_preprocessor_config.json (output logits), then onnx/head.onnx on (image_embeds, classifier_logits) gives the logits.';
