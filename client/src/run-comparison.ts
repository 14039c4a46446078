// Two runs of one dataset compared: what differs in how they were made (model, templates, prompts, classes, images)
// and, per class both have, the change in q, in the bias log(C·q) and in each model's recall; plus the suspected label
// errors that appeared or disappeared. Pure: report.json (and run.json) come in as text, nothing is trusted, no vscode.
import { MODEL_KINDS } from '../../server/src/engine/report';
import type { Change, ComparedClass, ComparedRun, LabelIssueChange, ModelKind, PerModel, RunComparison, SplitName } from './bias-panel-api';
import { modelLabels, parseLenientJson } from './bias-panel-data';
import { shortDateTime } from './panel-title';

/** What a comparison needs of one run, read leniently from its report.json. */
export interface ReadableRun {
  run: ComparedRun;
  /** The dataset's folder as report.json names it, resolved against the run folder. */
  datasetRoot?: string;
  /** When it finished, ms since the epoch (createdAt, else NaN). */
  finishedAt: number;
  finetuned?: string;
  models: ModelKind[];
  modelLabels: Record<ModelKind, string>;
  top1: PerModel<number | null>;
  splits?: Record<SplitName, number>;
  classes: { name: string; prompt?: string; prior: number | null; bias: number | null; recall: PerModel<number | null> | null }[];
  labelIssues: LabelIssueChange[];
}

/** A run folder as a comparison lists it: readable, or why not. */
export type RunEntry = { runDir: string; readable: ReadableRun; reason?: undefined } | { runDir: string; readable?: undefined; reason: string };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((t) => typeof t === 'string') ? (v as string[]) : undefined);
const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

function perModel(v: unknown): PerModel<number | null> | null {
  const o = obj(v);
  return o ? (Object.fromEntries(MODEL_KINDS.map((k) => [k, num(o[k])])) as PerModel<number | null>) : null;
}

/**
 * Reads one run folder's report.json (text, or undefined when missing). run.json supplies the templates of runs whose
 * report predates report.json's `templates`. A report without a class list is unreadable: there is nothing to compare.
 */
export function readRun(runDir: string, reportText: string | undefined, runJsonText?: string, resolvePath: (p: string) => string = (p) => p): RunEntry {
  if (reportText === undefined) return { runDir, reason: 'no report.json (an unfinished or foreign folder)' };
  let json: unknown;
  try {
    json = parseLenientJson(reportText).json;
  } catch (err) {
    return { runDir, reason: `report.json is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  const report = obj(json);
  if (!report) return { runDir, reason: 'report.json is not a JSON object' };
  if (!Array.isArray(report.classes) || report.classes.length === 0) return { runDir, reason: 'report.json lists no classes' };
  const classes: ReadableRun['classes'] = [];
  const C = report.classes.length;
  for (const raw of report.classes) {
    const c = obj(raw);
    const name = str(c?.name);
    if (!c || !name) return { runDir, reason: 'report.json has a class without a name' };
    const estimated = c.priorEstimated !== false;
    const prior = estimated ? (num(c.prior) ?? (num(c.logPrior) !== null ? Math.exp(num(c.logPrior)!) : null)) : null;
    const bias = estimated ? (num(c.bias) ?? (prior !== null && prior > 0 ? Math.log(C * prior) : null)) : null;
    classes.push({ name, prompt: str(c.prompt), prior, bias, recall: perModel(c.recall) });
  }
  let templates = strings(report.templates);
  if (!templates && runJsonText !== undefined) {
    try {
      templates = strings(obj(JSON.parse(runJsonText))?.templates);
    } catch {
      // run.json is optional here: without it the templates are just not known.
    }
  }
  const metrics = obj(report.metrics);
  const top1 = Object.fromEntries(MODEL_KINDS.map((k) => [k, num(obj(metrics?.[k])?.top1)])) as PerModel<number | null>;
  const hasEnsemble = metrics?.ensemble !== undefined || report.classes.some((c) => obj(obj(c)?.recall)?.ensemble !== undefined);
  const labelIssues: LabelIssueChange[] = (Array.isArray(report.labelIssues) ? report.labelIssues : []).flatMap((raw) => {
    const li = obj(raw);
    const path = str(li?.path);
    return li && path ? [{ path, given: str(li.given) ?? '', suggested: str(li.suggested) ?? '', confidence: num(li.confidence) }] : [];
  });
  const created = str(report.createdAt);
  const finishedAt = created ? Date.parse(created) : NaN;
  const model = str(obj(report.model)?.id);
  const dataset = obj(report.dataset);
  const splitCounts = obj(dataset?.splits);
  const root = str(dataset?.root);
  const finetuned = obj(report.finetuned);
  const run: ComparedRun = {
    runDir,
    runId: str(report.runId) ?? runDir.split(/[\\/]/).filter(Boolean).pop() ?? runDir,
    ...(created ? { createdAt: created } : {}),
    label: '',
    ...(model ? { model } : {}),
    ...(templates ? { templates } : {}),
    evaluatedOn: str(report.evaluatedOn) ?? 'test',
    labelFree: report.labelFree === true,
    classes: C,
  };
  run.label = runLabel(run, finishedAt);
  return {
    runDir,
    readable: {
      run,
      ...(root ? { datasetRoot: resolvePath(root) } : {}),
      finishedAt,
      ...(finetuned ? { finetuned: `${str(finetuned.source) ?? '?'}${str(finetuned.path) ? ` ${str(finetuned.path)}` : ''}` } : {}),
      models: hasEnsemble ? [...MODEL_KINDS] : MODEL_KINDS.filter((k) => k !== 'ensemble'),
      modelLabels: modelLabels(report.finetuned),
      top1,
      ...(splitCounts ? { splits: Object.fromEntries(SPLITS.map((s) => [s, num(splitCounts[s]) ?? 0])) as Record<SplitName, number> } : {}),
      classes,
      labelIssues,
    },
  };
}

/** "Dec 2, 2026, 10:31 AM · tiny-clip": when, and which model (its last path part). */
export function runLabel(run: Pick<ComparedRun, 'runId' | 'model'>, finishedAt: number, locale?: string): string {
  const when = Number.isFinite(finishedAt) ? shortDateTime(finishedAt, locale) : run.runId;
  return run.model ? `${when} · ${shortModel(run.model)}` : when;
}

function shortModel(id: string): string {
  return id.split(/[\\/]/).filter(Boolean).pop() ?? id;
}

/** The earlier run comes first: by createdAt, else by run id (the ids are finishing times), else as given. */
export function inOrder(a: ReadableRun, b: ReadableRun): [ReadableRun, ReadableRun] {
  if (Number.isFinite(a.finishedAt) && Number.isFinite(b.finishedAt) && a.finishedAt !== b.finishedAt) return a.finishedAt < b.finishedAt ? [a, b] : [b, a];
  if (a.run.runId !== b.run.runId) return a.run.runId < b.run.runId ? [a, b] : [b, a];
  return [a, b];
}

const change = (before: number | null, after: number | null): Change => ({ before, after, delta: before !== null && after !== null ? after - before : null });

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/** Short words for what differs, for the quick pick: "templates", "prompts", "model", "classes", "images". */
export function whatDiffers(base: ReadableRun, other: ReadableRun): string[] {
  const words: string[] = [];
  if (base.run.model !== other.run.model) words.push('model');
  if (base.run.templates && other.run.templates && !sameList(base.run.templates, other.run.templates)) words.push('templates');
  const prompts = new Map(base.classes.map((c) => [c.name, c.prompt]));
  if (other.classes.some((c) => prompts.has(c.name) && prompts.get(c.name) !== c.prompt)) words.push('prompts');
  const names = new Set(base.classes.map((c) => c.name));
  if (other.classes.length !== base.classes.length || other.classes.some((c) => !names.has(c.name))) words.push('classes');
  if (base.finetuned !== other.finetuned) words.push('fine-tuned model');
  if (base.splits && other.splits && SPLITS.some((s) => base.splits![s] !== other.splits![s])) words.push('images');
  return words;
}

const quoted = (list: readonly string[]) => list.map((t) => JSON.stringify(t)).join(', ');

/** "templates: 3 → 1 ("a photo of a {}.", … → "a {} shape.")", whole lists while they are short. */
function templateChange(before: readonly string[], after: readonly string[]): string {
  const text = `${quoted(before)} → ${quoted(after)}`;
  if (text.length <= 160) return `templates: ${before.length} → ${after.length} (${text})`;
  const kept = new Set(before);
  const added = after.filter((t) => !kept.has(t)).length;
  const removed = before.length - (after.length - added);
  return `templates: ${before.length} → ${after.length} (${added} added, ${removed} removed)`;
}

/** Compares two runs of one dataset; the earlier is "before". Classes in only one run are named, not compared. */
export function compareRuns(a: ReadableRun, b: ReadableRun): RunComparison {
  const [before, after] = inOrder(a, b);
  const changes: string[] = [];
  const notes: string[] = [];
  if (before.run.model !== after.run.model) changes.push(`model: ${before.run.model ?? 'not recorded'} → ${after.run.model ?? 'not recorded'}`);
  if (before.run.templates && after.run.templates) {
    if (!sameList(before.run.templates, after.run.templates)) changes.push(templateChange(before.run.templates, after.run.templates));
  } else if (before.run.templates || after.run.templates) {
    notes.push(`the ${before.run.templates ? 'later' : 'earlier'} run does not record its templates, so a template change cannot be named`);
  } else {
    notes.push('neither run records its templates, so a template change cannot be named');
  }
  const beforeByName = new Map(before.classes.map((c) => [c.name, c]));
  const afterNames = new Set(after.classes.map((c) => c.name));
  const prompts = after.classes.filter((c) => beforeByName.has(c.name) && beforeByName.get(c.name)!.prompt !== c.prompt);
  if (prompts.length > 0 && prompts.length <= 3) {
    for (const c of prompts) changes.push(`prompt of ${c.name}: ${JSON.stringify(beforeByName.get(c.name)!.prompt ?? '')} → ${JSON.stringify(c.prompt ?? '')}`);
  } else if (prompts.length > 3) {
    changes.push(`prompts of ${prompts.length} classes`);
  }
  const onlyBefore = before.classes.filter((c) => !afterNames.has(c.name)).map((c) => c.name);
  const onlyAfter = after.classes.filter((c) => !beforeByName.has(c.name)).map((c) => c.name);
  if (onlyBefore.length || onlyAfter.length) {
    changes.push(`classes: ${before.classes.length} → ${after.classes.length} (${[onlyBefore.length ? `removed ${onlyBefore.join(', ')}` : '', onlyAfter.length ? `added ${onlyAfter.join(', ')}` : ''].filter(Boolean).join('; ')})`);
    notes.push(`compared on the ${after.classes.length - onlyAfter.length} classes both runs have; only in the earlier run: ${onlyBefore.join(', ') || 'none'}; only in the later run: ${onlyAfter.join(', ') || 'none'}`);
  }
  if (before.finetuned !== after.finetuned) changes.push(`fine-tuned model: ${before.finetuned ?? 'none'} → ${after.finetuned ?? 'none'}`);
  if (before.splits && after.splits && SPLITS.some((s) => before.splits![s] !== after.splits![s])) {
    changes.push(`images: ${SPLITS.filter((s) => before.splits![s] !== after.splits![s]).map((s) => `${s} ${before.splits![s]} → ${after.splits![s]}`).join(', ')}`);
  }
  if (before.run.evaluatedOn !== after.run.evaluatedOn) notes.push(`recall was evaluated on ${before.run.evaluatedOn} in the earlier run and on ${after.run.evaluatedOn} in the later one`);
  if (before.run.labelFree || after.run.labelFree) notes.push('a label-free run has no recall: its recall changes are n/a');

  const models = after.models.filter((k) => before.models.includes(k));
  const classes: ComparedClass[] = after.classes.flatMap((c) => {
    const p = beforeByName.get(c.name);
    if (!p) return [];
    const recall = Object.fromEntries(MODEL_KINDS.map((k) => [k, change(p.recall?.[k] ?? null, c.recall?.[k] ?? null)])) as PerModel<Change>;
    return [{ name: c.name, q: change(p.prior, c.prior), bias: change(p.bias, c.bias), recall, ...(p.prompt !== c.prompt ? { prompt: { before: p.prompt, after: c.prompt } } : {}) }];
  });
  const beforeIssues = new Set(before.labelIssues.map((i) => i.path));
  const afterIssues = new Set(after.labelIssues.map((i) => i.path));
  return {
    before: before.run,
    after: after.run,
    changes,
    models,
    modelLabels: after.modelLabels,
    top1: Object.fromEntries(MODEL_KINDS.map((k) => [k, change(before.top1[k], after.top1[k])])) as PerModel<Change>,
    classes,
    onlyBefore,
    onlyAfter,
    labelIssues: {
      appeared: after.labelIssues.filter((i) => !beforeIssues.has(i.path)),
      disappeared: before.labelIssues.filter((i) => !afterIssues.has(i.path)),
    },
    notes,
  };
}

/** Runs of the same dataset as `base` (by its resolved folder), the base itself excluded; unreadable ones apart. */
export function sameDataset(base: ReadableRun, entries: readonly RunEntry[]): { runs: ReadableRun[]; unreadable: { runDir: string; reason: string }[] } {
  const runs: ReadableRun[] = [];
  const unreadable: { runDir: string; reason: string }[] = [];
  for (const e of entries) {
    if (e.runDir === base.run.runDir) continue;
    if (!e.readable) unreadable.push({ runDir: e.runDir, reason: e.reason });
    else if (e.readable.datasetRoot !== undefined && e.readable.datasetRoot === base.datasetRoot) runs.push(e.readable);
  }
  runs.sort((x, y) => (inOrder(x, y)[0] === x ? 1 : -1));
  return { runs, unreadable };
}
