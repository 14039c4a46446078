// What the bias panel draws, built from a run's report.json (+ predictions.csv) or from a standalone bias profile.
// The inputs are files from disk, so nothing is trusted: a missing or NaN field renders as n/a, and `missing` says
// which. No vscode import.
import { classFinding } from '../../server/src/engine/class-findings';
import { MODEL_KINDS, finetunedLabel } from '../../server/src/engine/report';
import { classGroups } from '../../server/src/gla/metrics';
import { DEFAULT_LABEL_ISSUE_THRESHOLD, flaggedAt, thresholdCounts } from '../../server/src/gla/label-issue-threshold';
import type { ClassFinding, ClassGroup, GroupSummary, ModelKind, PanelClass, PanelData, PanelFailedFile, PanelImage, PerModel, SplitName } from './bias-panel-api';
import { parseCsv } from './csv-text';

const MODELS = MODEL_KINDS;
const GROUPS: readonly ClassGroup[] = ['head', 'medium', 'tail'];
const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/** Thumbnails per list: enough to act on, few enough to load at once. */
export const MAX_IMAGES = 60;
export const MAX_CONFUSIONS = 20;

/**
 * JSON as Python's json module writes it may carry NaN and Infinity, which JSON.parse rejects: read those as null
 * (outside strings) rather than refuse the whole file, and say so.
 */
export function parseLenientJson(text: string): { json: unknown; nonFinite: boolean } {
  try {
    return { json: JSON.parse(text), nonFinite: false };
  } catch (err) {
    let nonFinite = false;
    const patched = text.replace(/"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b/g, (m) => {
      if (m.startsWith('"')) return m;
      nonFinite = true;
      return 'null';
    });
    if (!nonFinite) throw err;
    return { json: JSON.parse(patched), nonFinite };
  }
}

export interface RunInputs {
  /** report.json, parsed (any shape). */
  report: unknown;
  /** report.json held NaN or Infinity (read as missing). */
  nonFinite?: boolean;
  /** predictions.csv beside it, if readable. */
  predictionsCsv?: string;
  /** The webview URI of an image under the dataset root, or undefined when it may not be shown. */
  imageSrc: (relativePath: string) => string | undefined;
  canRevealClasses: boolean;
  /** gla.labelIssues.threshold now: candidates below it are not shown (report.json keeps every candidate). */
  labelIssueThreshold?: number;
  /** Candidates marked "not an error" since the run (.gla/reviewed.json, content unchanged): left out. */
  reviewedSinceRun?: ReadonlySet<string>;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Each model's number, null where the source has none (an older report has no ensemble). */
function perModel(v: unknown): PerModel<number | null> | null {
  const o = obj(v);
  if (!o) return null;
  return Object.fromEntries(MODELS.map((k) => [k, num(o[k])])) as PerModel<number | null>;
}

/** What the panel calls each model; the fine-tuned one by report.json's `finetuned.name` (the probe when absent). */
export function modelLabels(finetuned: unknown): Record<ModelKind, string> {
  const name = str(obj(finetuned)?.name)?.trim();
  return { zeroShot: 'zero-shot', debiased: 'debiased', finetuned: finetunedLabel(name ? { name } : undefined), ensemble: 'naive ensemble', gla: 'GLA' };
}

/** Every model but the ensemble, for sources that have no per-model numbers (profiles) or predate it. */
const WITHOUT_ENSEMBLE = MODELS.filter((k) => k !== 'ensemble');

function findingOf(bias: number | null, recall: PerModel<number | null> | null, estimated: boolean): ClassFinding | null {
  return classFinding({ bias, priorEstimated: estimated, zeroShotRecall: recall?.zeroShot ?? null, glaRecall: recall?.gla ?? null }) ?? null;
}

/** Head, medium and tail by q (thirds, as report.json's groups), for classes whose group the source did not give. */
function fillGroups(classes: PanelClass[]): void {
  if (classes.every((c) => c.group !== null)) return;
  // Thirds of the classes that have a q; a class without one belongs to none.
  const ranked = classes.filter((c) => c.prior !== null);
  const groups = classGroups(ranked.map((c) => c.prior!));
  ranked.forEach((c, i) => {
    if (c.group === null) c.group = groups[i];
  });
}

function groupSummaries(classes: PanelClass[], recallOf: (g: ClassGroup) => PerModel<number | null> | null): Record<ClassGroup, GroupSummary> {
  const total = classes.reduce((s, c) => s + (c.prior ?? 0), 0);
  const out = {} as Record<ClassGroup, GroupSummary>;
  for (const g of GROUPS) {
    const members = classes.filter((c) => c.group === g);
    const mass = members.reduce((s, c) => s + (c.prior ?? 0), 0);
    out[g] = { classes: members.length, priorMass: total > 0 ? mass / total : null, recall: recallOf(g) };
  }
  return out;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Counts per problem, so `missing` says "3 classes have no q" once rather than three times. */
class MissingList {
  private readonly counts = new Map<string, number>();
  readonly lines: string[] = [];
  count(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }
  add(line: string): void {
    this.lines.push(line);
  }
  done(total: number): string[] {
    for (const [what, n] of this.counts) this.lines.push(`${n === total && total > 1 ? 'every class has' : `${plural(n, 'class', 'classes')} ${n === 1 ? 'has' : 'have'}`} ${what}`);
    return this.lines;
  }
}

export function panelDataFromReport(inputs: RunInputs): PanelData {
  const report = obj(inputs.report) ?? {};
  const missing = new MissingList();
  if (!obj(inputs.report)) missing.add('report.json is not a JSON object');
  if (inputs.nonFinite) missing.add('report.json holds NaN or Infinity values (shown as n/a)');
  const labelFree = report.labelFree === true;
  const rawClasses = Array.isArray(report.classes) ? report.classes : [];
  if (!Array.isArray(report.classes)) missing.add('report.json lists no classes');
  const C = rawClasses.length;
  const classes: PanelClass[] = rawClasses.map((raw, i) => {
    const c = obj(raw) ?? {};
    const name = str(c.name) ?? `class ${i + 1}`;
    if (str(c.name) === undefined) missing.count('no name (numbered instead)');
    // A class without labelled images has a placeholder q (priorEstimated: false): shown as n/a, never as a bias.
    const estimated = c.priorEstimated !== false;
    let prior = estimated ? num(c.prior) : null;
    if (prior === null && estimated && num(c.logPrior) !== null) prior = Math.exp(num(c.logPrior)!);
    if (prior !== null && prior <= 0) prior = null;
    if (prior === null && estimated) missing.count('no q (shown as n/a)');
    const bias = estimated ? (num(c.bias) ?? (prior !== null ? Math.log(C * prior) : null)) : null;
    const group = GROUPS.includes(c.group as ClassGroup) ? (c.group as ClassGroup) : null;
    const s = obj(c.support);
    const support = s ? (Object.fromEntries(SPLITS.map((k) => [k, num(s[k]) ?? 0])) as Record<SplitName, number>) : null;
    if (!s) missing.count('no support');
    const recall = labelFree ? null : perModel(c.recall);
    if (!labelFree && (!recall || MODELS.every((k) => recall[k] === null)) && (support?.test ?? 1) > 0) missing.count('no recall');
    const prompt = str(c.prompt);
    return {
      name,
      prompt: prompt && prompt !== name ? prompt : undefined,
      prior,
      bias,
      group,
      support,
      recall,
      precision: labelFree ? null : perModel(c.precision),
      labelIssues: 0,
      misclassified: 0,
      finding: findingOf(bias, recall, estimated),
    };
  });
  fillGroups(classes);

  const metrics = obj(report.metrics);
  const metric = (k: ModelKind, field: string) => num(obj(metrics?.[k])?.[field]);
  const hasMetrics = !!metrics && MODELS.some((k) => obj(metrics[k]));
  if (!labelFree && !hasMetrics) missing.add('report.json has no metrics (summary cards show n/a)');
  const top1 = labelFree ? null : (Object.fromEntries(MODELS.map((k) => [k, metric(k, 'top1')])) as PerModel<number | null>);
  // A seeds run puts {mean, sd} beside each model's metrics.
  const sd = (k: ModelKind) => num(obj(obj(metrics?.[k])?.sd)?.top1);
  const top1Sd = labelFree || !MODELS.some((k) => sd(k) !== null) ? null : (Object.fromEntries(MODELS.map((k) => [k, sd(k)])) as PerModel<number | null>);
  // Reports written before the naive ensemble existed have no trace of it: leave it out rather than show n/a.
  const hasEnsemble = metrics?.ensemble !== undefined || rawClasses.some((c) => obj(obj(c)?.recall)?.ensemble !== undefined);
  const models = hasEnsemble ? [...MODELS] : [...WITHOUT_ENSEMBLE];
  const groups = groupSummaries(classes, (g) => (labelFree ? null : (Object.fromEntries(MODELS.map((k) => [k, metric(k, g)])) as PerModel<number | null>)));

  const byName = new Map(classes.map((c) => [c.name, c]));
  // The review queue: every candidate not reviewed, flagged at the threshold the settings name now.
  const threshold = inputs.labelIssueThreshold ?? num(report.labelIssueThreshold) ?? DEFAULT_LABEL_ISSUE_THRESHOLD;
  const reviewedNow = inputs.reviewedSinceRun ?? new Set<string>();
  const candidates = labelIssueImages(report.labelIssues, inputs.imageSrc).filter((i) => !reviewedNow.has(i.path));
  const labelIssues = flaggedAt(candidates.map((i) => ({ ...i, confidence: i.confidence ?? 0 })), threshold);
  for (const img of labelIssues) {
    const c = byName.get(img.given);
    if (c) c.labelIssues++;
  }
  const dataset = obj(report.dataset);
  const evaluatedOn = str(report.evaluatedOn) ?? 'test';
  const misclassified = inputs.predictionsCsv !== undefined ? misclassifiedImages(inputs.predictionsCsv, evaluatedOn, inputs.imageSrc) : [];
  if (inputs.predictionsCsv === undefined && !labelFree) missing.add('predictions.csv is missing, so misclassified images are not shown');
  for (const img of misclassified) {
    const c = byName.get(img.given);
    if (c) c.misclassified++;
  }

  const confusions = (Array.isArray(report.confusions) ? report.confusions : [])
    .map((raw) => {
      const p = obj(raw) ?? {};
      return { actual: str(p.actual) ?? '', predicted: str(p.predicted) ?? '', count: num(p.count) ?? 0 };
    })
    .filter((p) => p.actual && p.predicted && p.count > 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, MAX_CONFUSIONS);

  const model = str(obj(report.model)?.id);
  const labels = modelLabels(report.finetuned);
  const seeds = Array.isArray(report.seeds) ? report.seeds.filter((v) => num(v) !== null) : [];
  const source = [
    `Run ${str(report.runId) ?? '?'}`,
    model ? `model ${shortModel(model)}` : undefined,
    str(dataset?.root) ? `dataset ${str(dataset?.root)}` : undefined,
    labelFree ? 'label-free (no recall to report)' : `evaluated on ${evaluatedOn}`,
    !labelFree && seeds.length > 1 ? `mean ± sd over ${seeds.length} seeds` : undefined,
  ]
    .filter(Boolean)
    .join(' · ');
  return {
    kind: 'run',
    title: 'Bias per class',
    source,
    classes,
    models,
    modelLabels: labels,
    top1,
    top1Sd,
    groups,
    confusions,
    images: {
      labelIssues: labelIssues.slice(0, MAX_IMAGES),
      misclassified: misclassified.slice(0, MAX_IMAGES),
      evaluatedOn,
      predictionsAvailable: inputs.predictionsCsv !== undefined,
      totalLabelIssues: labelIssues.length,
      labelIssueThreshold: threshold,
      thresholdCounts: thresholdCounts(candidates.map((i) => ({ confidence: i.confidence ?? 0 })), threshold),
      reviewed: (num(report.labelIssuesReviewed) ?? 0) + reviewedNow.size,
      totalMisclassified: misclassified.length,
      moved: [],
    },
    failed: failedFiles(report.failed, inputs.imageSrc),
    canRevealClasses: inputs.canRevealClasses,
    missing: missing.done(C),
  };
}

/** A model folder's last two path parts ("models/tiny-clip"), an id as it is. */
function shortModel(id: string): string {
  const parts = id.split(/[\\/]/).filter(Boolean);
  return parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : id;
}

function labelIssueImages(raw: unknown, imageSrc: RunInputs['imageSrc']): PanelImage[] {
  if (!Array.isArray(raw)) return [];
  const out: PanelImage[] = [];
  for (const r of raw) {
    const o = obj(r);
    const path = str(o?.path);
    if (!o || !path) continue;
    out.push({ path, src: imageSrc(path), given: str(o.given) ?? '?', other: str(o.suggested) ?? '?', confidence: num(o.confidence) });
  }
  return out.sort((a, b) => (b.confidence ?? 0) - (a.confidence ?? 0));
}

/** report.json's `failed`: each file the run could not read, openable when it lies inside the dataset folder. */
export function failedFiles(raw: unknown, inDataset: (relativePath: string) => unknown): PanelFailedFile[] {
  if (!Array.isArray(raw)) return [];
  const out: PanelFailedFile[] = [];
  for (const r of raw) {
    const path = str(obj(r)?.path);
    if (!path) continue;
    out.push({ path, error: str(obj(r)?.error) ?? 'no reason given', openable: inDataset(path) !== undefined });
  }
  return out;
}

/** Images of the evaluated split whose GLA prediction is not their given label, most confident mistakes first. */
export function misclassifiedImages(csv: string, evaluatedOn: string, imageSrc: RunInputs['imageSrc']): PanelImage[] {
  const [header, ...rows] = parseCsv(csv);
  if (!header) return [];
  const col = (name: string) => header.indexOf(name);
  const [path, split, given, gla, probability] = ['path', 'split', 'given', 'gla', 'glaProbability'].map(col);
  if (path < 0 || given < 0 || gla < 0) return [];
  // Without a test split the metrics are cross-validated over the labelled images: take them all.
  const onSplit = evaluatedOn === 'test' ? (r: string[]) => r[split] === 'test' : () => true;
  const out: PanelImage[] = [];
  for (const r of rows) {
    if (!r[path] || !r[given] || !r[gla] || r[gla] === r[given] || (split >= 0 && !onSplit(r))) continue;
    const p = probability >= 0 ? Number(r[probability]) : NaN;
    out.push({ path: r[path], src: imageSrc(r[path]), given: r[given], other: r[gla], confidence: Number.isFinite(p) ? p : null });
  }
  return out.sort((a, b) => (b.confidence ?? 0) - (a.confidence ?? 0));
}

/** A standalone bias profile: {classes: string[], prior: number[]} (+ optional source), e.g. CLIP's ImageNet prior. */
export function isBiasProfile(json: unknown): boolean {
  const o = obj(json);
  return !!o && Array.isArray(o.classes) && Array.isArray(o.prior) && o.classes.every((c) => typeof c === 'string');
}

/** A run's report.json: classes are objects with a name. */
export function isRunReport(json: unknown): boolean {
  const o = obj(json);
  return !!o && Array.isArray(o.classes) && o.classes.length > 0 && o.classes.every((c) => !!obj(c)) && obj(o.dataset) !== undefined;
}

export function panelDataFromProfile(json: unknown, fileName: string, nonFinite = false): PanelData {
  const o = obj(json) ?? {};
  const names = (Array.isArray(o.classes) ? o.classes : []).map((c, i) => (typeof c === 'string' ? c : `class ${i + 1}`));
  const raw = Array.isArray(o.prior) ? o.prior : [];
  const missing = new MissingList();
  if (nonFinite) missing.add('the profile holds NaN or Infinity values (shown as n/a)');
  if (raw.length !== names.length) missing.add(`the profile has ${plural(names.length, 'class', 'classes')} but ${raw.length} prior values`);
  const values = names.map((_, i) => {
    const q = num(raw[i]);
    if (q === null || q <= 0) missing.count('no positive q (shown as n/a)');
    return q !== null && q > 0 ? q : null;
  });
  const sum = values.reduce<number>((s, q) => s + (q ?? 0), 0);
  // A prior is a distribution; the reference's released ImageNet q sums to 0.80, so renormalise and say so.
  if (sum > 0 && Math.abs(sum - 1) > 1e-6) missing.add(`the prior summed to ${sum.toPrecision(4)}; shown renormalised to 1`);
  const C = names.length;
  const classes: PanelClass[] = names.map((name, i) => {
    const q = values[i] !== null && sum > 0 ? values[i]! / sum : null;
    const bias = q !== null ? Math.log(C * q) : null;
    return { name, prior: q, bias, group: null, support: null, recall: null, precision: null, labelIssues: 0, misclassified: 0, finding: findingOf(bias, null, true) };
  });
  fillGroups(classes);
  const source = [fileName, str(o.source)].filter(Boolean).join(' · ');
  return {
    kind: 'profile',
    title: 'Bias profile',
    source,
    classes,
    models: [...WITHOUT_ENSEMBLE],
    modelLabels: modelLabels(undefined),
    top1: null,
    top1Sd: null,
    groups: groupSummaries(classes, () => null),
    confusions: [],
    images: { labelIssues: [], misclassified: [], evaluatedOn: '', predictionsAvailable: false, totalLabelIssues: 0, totalMisclassified: 0, moved: [], labelIssueThreshold: DEFAULT_LABEL_ISSUE_THRESHOLD, thresholdCounts: [], reviewed: 0 },
    failed: [],
    canRevealClasses: false,
    missing: missing.done(C),
  };
}
