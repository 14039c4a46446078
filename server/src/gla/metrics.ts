import { assertLabels, argmaxRow, type Matrix } from './matrix';
import { logSumExpRow } from './softmax';

export type ClassGroup = 'head' | 'medium' | 'tail';

/** Expected calibration error uses 15 equal-width confidence bins, the common convention. */
export const ECE_BINS = 15;

export interface Evaluation {
  top1: number;
  /** Mean over classes that have samples of their recall. */
  meanRecall: number;
  /** Recall per class; null for a class without samples. */
  perClassRecall: (number | null)[];
  /** Precision per class; null for a class never predicted. */
  perClassPrecision: (number | null)[];
  /** Mean recall within the thirds of classes ranked by the grouping scores; null when a third has no samples. */
  head: number | null;
  medium: number | null;
  tail: number | null;
  nll: number;
  ece: number;
  predictions: Int32Array;
}

/**
 * Splits classes into thirds by descending score (q, or train frequency), as the reference's head/medium/tail
 * breakdown does: head = the first round(C/3) classes, tail = the last round(C/3), medium the rest. Ties keep
 * class order.
 */
export function classGroups(scores: ArrayLike<number>): ClassGroup[] {
  const c = scores.length;
  const order = Array.from({ length: c }, (_, j) => j).sort((a, b) => scores[b] - scores[a] || a - b);
  const third = Math.round(c / 3);
  const groups = new Array<ClassGroup>(c);
  order.forEach((cls, rank) => {
    groups[cls] = rank < third ? 'head' : rank >= c - third ? 'tail' : 'medium';
  });
  return groups;
}

function mean(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

/** Top-1, per-class recall and precision, mean recall, head/medium/tail, NLL and ECE of logits against labels. */
export function evaluateLogits(logits: Matrix, labels: Int32Array, groups?: ClassGroup[]): Evaluation {
  const { data, rows, cols } = logits;
  assertLabels(labels, rows, cols);
  const support = new Float64Array(cols);
  const hits = new Float64Array(cols);
  const predicted = new Float64Array(cols);
  const binCount = new Float64Array(ECE_BINS);
  const binCorrect = new Float64Array(ECE_BINS);
  const binConfidence = new Float64Array(ECE_BINS);
  const predictions = new Int32Array(rows);
  let correct = 0;
  let nll = 0;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const y = labels[i];
    const p = argmaxRow(data, i, cols);
    const lse = logSumExpRow(data, off, cols);
    const confidence = Math.exp(data[off + p] - lse);
    predictions[i] = p;
    nll += lse - data[off + y];
    support[y]++;
    predicted[p]++;
    const ok = p === y ? 1 : 0;
    hits[y] += ok;
    correct += ok;
    const bin = Math.min(ECE_BINS - 1, Math.max(0, Math.ceil(confidence * ECE_BINS) - 1));
    binCount[bin]++;
    binCorrect[bin] += ok;
    binConfidence[bin] += confidence;
  }
  const perClassRecall = Array.from(support, (s, j) => (s > 0 ? hits[j] / s : null));
  const perClassPrecision = Array.from(predicted, (s, j) => (s > 0 ? hits[j] / s : null));
  let ece = 0;
  for (let b = 0; b < ECE_BINS; b++) {
    if (binCount[b] > 0) ece += Math.abs(binCorrect[b] - binConfidence[b]) / rows;
  }
  const byGroup = (g: ClassGroup): number | null => (groups ? mean(perClassRecall.filter((_, j) => groups[j] === g)) : null);
  return {
    top1: rows ? correct / rows : 0,
    meanRecall: mean(perClassRecall) ?? 0,
    perClassRecall,
    perClassPrecision,
    head: byGroup('head'),
    medium: byGroup('medium'),
    tail: byGroup('tail'),
    nll: rows ? nll / rows : 0,
    ece,
    predictions,
  };
}
