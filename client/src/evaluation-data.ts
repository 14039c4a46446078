// The per-image table behind the panel's confusion matrix and image grid, read from a run's predictions.csv: each
// image's split, given class and every model's prediction and confidence, as class indices into the report's
// classes. A name that is not one of them (a hand-edited CSV) counts as no prediction. No vscode import.
import type { EvaluationData, ModelKind, SplitName } from './bias-panel-api';
import { parseCsv } from './csv-text';
import { MODEL_KINDS } from '../../server/src/engine/report';

export const SPLIT_CODES: readonly (SplitName | 'none')[] = ['train', 'val', 'test', 'none'];

/** Which rows the report's metrics count: the test split, or every labelled image when the run had none. */
export function onEvaluatedSplit(evaluatedOn: string, split: SplitName | 'none'): boolean {
  return evaluatedOn === 'test' ? split === 'test' : true;
}

export function evaluationFromPredictions(csv: string, classNames: readonly string[], evaluatedOn: string): EvaluationData | null {
  const [header, ...rows] = parseCsv(csv);
  if (!header) return null;
  const col = (name: string) => header.indexOf(name);
  const [path, split, given] = ['path', 'split', 'given'].map(col);
  if (path < 0 || given < 0) return null;
  const index = new Map(classNames.map((name, i) => [name, i]));
  const classOf = (name: string | undefined) => (name ? (index.get(name) ?? -1) : -1);
  const models = MODEL_KINDS.filter((k) => col(k) >= 0 && rows.some((r) => r[col(k)]));
  const data: EvaluationData = {
    evaluatedOn,
    models,
    paths: [],
    split: [],
    given: [],
    evaluated: [],
    predicted: {},
    confidence: {},
    unknownNames: 0,
  };
  for (const k of models) {
    data.predicted[k] = [];
    data.confidence[k] = [];
  }
  const probabilityColumn = (k: ModelKind) => col(`${k}Probability`);
  for (const r of rows) {
    if (!r[path]) continue;
    const s = SPLIT_CODES.indexOf((r[split] ?? '') as SplitName);
    const code = s >= 0 ? s : SPLIT_CODES.indexOf('none');
    const y = classOf(r[given]);
    if (r[given] && y < 0) data.unknownNames++;
    data.paths.push(r[path]);
    data.split.push(code);
    data.given.push(y);
    data.evaluated.push(y >= 0 && onEvaluatedSplit(evaluatedOn, SPLIT_CODES[code]) ? 1 : 0);
    for (const k of models) {
      const name = r[col(k)];
      const p = classOf(name);
      if (name && p < 0) data.unknownNames++;
      data.predicted[k]!.push(p);
      const c = probabilityColumn(k) >= 0 && r[probabilityColumn(k)] ? Number(r[probabilityColumn(k)]) : NaN;
      // JSON carries no NaN: a missing confidence travels as null.
      data.confidence[k]!.push(Number.isFinite(c) ? c : null);
    }
  }
  return data;
}

/** C × C counts (row: given class, column: predicted) of a model over the evaluated images; row-major. */
export function confusionCounts(data: EvaluationData, model: ModelKind, classes: number): Int32Array {
  const counts = new Int32Array(classes * classes);
  const predicted = data.predicted[model];
  if (!predicted) return counts;
  for (let i = 0; i < data.paths.length; i++) {
    const y = data.given[i];
    const p = predicted[i];
    if (data.evaluated[i] && y >= 0 && p >= 0 && y < classes && p < classes) counts[y * classes + p]++;
  }
  return counts;
}

/** The off-diagonal cells with the most images, largest first (ties: by given, then predicted class). */
export function topConfusions(counts: Int32Array, classes: number, limit: number): { actual: number; predicted: number; count: number }[] {
  const out: { actual: number; predicted: number; count: number }[] = [];
  for (let y = 0; y < classes; y++) {
    for (let p = 0; p < classes; p++) {
      const n = counts[y * classes + p];
      if (y !== p && n > 0) out.push({ actual: y, predicted: p, count: n });
    }
  }
  out.sort((a, b) => b.count - a.count || a.actual - b.actual || a.predicted - b.predicted);
  return out.slice(0, limit);
}

/** Precision, recall and F1 per class from a confusion matrix; null where a ratio has no denominator. */
export function perClassScores(counts: Int32Array, classes: number): { precision: (number | null)[]; recall: (number | null)[]; f1: (number | null)[] } {
  const precision: (number | null)[] = [];
  const recall: (number | null)[] = [];
  const f1: (number | null)[] = [];
  for (let c = 0; c < classes; c++) {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < classes; j++) {
      support += counts[c * classes + j];
      predicted += counts[j * classes + c];
    }
    const hits = counts[c * classes + c];
    const p = predicted > 0 ? hits / predicted : null;
    const r = support > 0 ? hits / support : null;
    precision.push(p);
    recall.push(r);
    f1.push(f1Score(p, r));
  }
  return { precision, recall, f1 };
}

/**
 * F1 = 2TP / (2TP + FP + FN), from precision and recall: 0 when either is 0 (no hit, though the class has images or
 * predictions, even if the other ratio has no denominator); n/a only when there is neither.
 */
export function f1Score(precision: number | null | undefined, recall: number | null | undefined): number | null {
  if (precision === 0 || recall === 0) return 0;
  if (precision === null || precision === undefined || recall === null || recall === undefined) return null;
  return (2 * precision * recall) / (precision + recall);
}
