import { argmaxRow, assertLabels, type Floats, type Matrix } from './matrix';
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

/**
 * The metrics of evaluateLogits, accumulated one row at a time: a run scores its rows in blocks, so no N × C matrix
 * of any model is ever held whole. `result` may be taken under several groupings.
 */
export class EvaluationAccumulator {
  private readonly support: Float64Array;
  private readonly hits: Float64Array;
  private readonly predicted: Float64Array;
  private readonly binCount = new Float64Array(ECE_BINS);
  private readonly binCorrect = new Float64Array(ECE_BINS);
  private readonly binConfidence = new Float64Array(ECE_BINS);
  private readonly predictionList: number[] = [];
  private correct = 0;
  private nll = 0;
  private rows = 0;

  constructor(private readonly classes: number) {
    this.support = new Float64Array(classes);
    this.hits = new Float64Array(classes);
    this.predicted = new Float64Array(classes);
  }

  /** Row `row` of row-major logits with label y (and its log-sum-exp, if known); returns its prediction. */
  add(data: Floats, row: number, y: number, lse = logSumExpRow(data, row * this.classes, this.classes)): number {
    const off = row * this.classes;
    const p = argmaxRow(data, row, this.classes);
    const confidence = Math.exp(data[off + p] - lse);
    this.predictionList.push(p);
    this.nll += lse - data[off + y];
    this.support[y]++;
    this.predicted[p]++;
    const ok = p === y ? 1 : 0;
    this.hits[y] += ok;
    this.correct += ok;
    const bin = Math.min(ECE_BINS - 1, Math.max(0, Math.ceil(confidence * ECE_BINS) - 1));
    this.binCount[bin]++;
    this.binCorrect[bin] += ok;
    this.binConfidence[bin] += confidence;
    this.rows++;
    return p;
  }

  result(groups?: ClassGroup[]): Evaluation {
    const { rows, hits } = this;
    const perClassRecall = Array.from(this.support, (s, j) => (s > 0 ? hits[j] / s : null));
    const perClassPrecision = Array.from(this.predicted, (s, j) => (s > 0 ? hits[j] / s : null));
    let ece = 0;
    for (let b = 0; b < ECE_BINS; b++) {
      if (this.binCount[b] > 0) ece += Math.abs(this.binCorrect[b] - this.binConfidence[b]) / rows;
    }
    const byGroup = (g: ClassGroup): number | null => (groups ? mean(perClassRecall.filter((_, j) => groups[j] === g)) : null);
    return {
      top1: rows ? this.correct / rows : 0,
      meanRecall: mean(perClassRecall) ?? 0,
      perClassRecall,
      perClassPrecision,
      head: byGroup('head'),
      medium: byGroup('medium'),
      tail: byGroup('tail'),
      nll: rows ? this.nll / rows : 0,
      ece,
      predictions: Int32Array.from(this.predictionList),
    };
  }
}

/** Top-1, per-class recall and precision, mean recall, head/medium/tail, NLL and ECE of logits against labels. */
export function evaluateLogits(logits: Matrix, labels: Int32Array, groups?: ClassGroup[]): Evaluation {
  const { data, rows, cols } = logits;
  assertLabels(labels, rows, cols);
  const accumulator = new EvaluationAccumulator(cols);
  for (let i = 0; i < rows; i++) accumulator.add(data, i, labels[i]);
  return accumulator.result(groups);
}
