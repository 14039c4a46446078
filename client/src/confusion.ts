// Confusion matrices and the per-class scores read off them, from the evaluation data of bias-panel-api.ts. Pure
// arithmetic with no imports to speak of: the webview page bundles it (evaluation-data.ts adds the CSV reading).
import type { EvaluationData, ModelKind } from './bias-panel-api';

/** C × C counts (row: given class, column: predicted) of a model over the evaluated images; row-major. */
export function confusionCounts(data: EvaluationData, model: ModelKind, classes: number): Int32Array {
  const counts = new Int32Array(classes * classes);
  const predicted = data.predicted[model];
  if (!predicted) return counts;
  for (let i = 0; i < data.images; i++) {
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
