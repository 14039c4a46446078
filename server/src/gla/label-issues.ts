import { assertLabels, type Floats, type Matrix } from './matrix';

export interface LabelIssueCandidate {
  /** Row of the sample. */
  index: number;
  given: number;
  suggested: number;
  /** Out-of-sample probability of the suggested class. */
  confidence: number;
  /** Out-of-sample probability of the given class. */
  selfConfidence: number;
}

/**
 * Labelled images a class needs before its images are flagged or suggested: with fewer, the cross-fitted probe has
 * almost nothing to learn the class from and its per-class threshold is one or two probabilities.
 */
export const MIN_LABEL_ISSUE_EVIDENCE = 5;

/** Classes with fewer than `minPerClass` labelled images (label issues skip them). */
export function classesBelowEvidence(labels: Int32Array, classes: number, minPerClass = MIN_LABEL_ISSUE_EVIDENCE): number[] {
  const counts = new Float64Array(classes);
  for (const y of labels) counts[y]++;
  const below: number[] = [];
  for (let j = 0; j < classes; j++) if (counts[j] < minPerClass) below.push(j);
  return below;
}

/**
 * DESIGN step 8: confident learning (Northcutt et al.) on out-of-sample probabilities. Per-class thresholds
 * t_j = mean p_j over samples labelled j; a sample is counted off the confident joint's diagonal when its most
 * probable class above threshold differs from its label. We flag those that the argmax also disputes ("both"),
 * most confident first. Two passes over the rows, which may come in blocks: `addRow` for the thresholds, then
 * `checkRow` for the flags (only rows whose argmax disputes their label can be flagged).
 */
export class ConfidentLearning {
  private readonly thresholdSum: Float64Array;
  private readonly counts: Float64Array;
  private threshold?: Float64Array;
  readonly issues: LabelIssueCandidate[] = [];

  constructor(private readonly classes: number, private readonly minPerClass = MIN_LABEL_ISSUE_EVIDENCE) {
    this.thresholdSum = new Float64Array(classes);
    this.counts = new Float64Array(classes);
  }

  /** First pass: each labelled row's out-of-sample probability of its given class. */
  addRow(selfConfidence: number, given: number): void {
    this.thresholdSum[given] += selfConfidence;
    this.counts[given]++;
  }

  /**
   * Second pass: flags row `index` when it is off the diagonal and its argmax disputes the label too. A row whose
   * argmax is its label is never flagged, so callers may skip those.
   */
  checkRow(p: Floats, off: number, given: number, index: number): void {
    // A threshold from fewer than minPerClass images is noise: such a class neither flags nor is suggested.
    this.threshold ??= Float64Array.from(this.thresholdSum, (s, j) => (this.counts[j] >= Math.max(1, this.minPerClass) ? s / this.counts[j] : Infinity));
    const threshold = this.threshold;
    if (threshold[given] === Infinity) return;
    let confident = -1;
    let argmax = 0;
    for (let j = 0; j < this.classes; j++) {
      const v = p[off + j];
      if (v > p[off + argmax]) argmax = j;
      if (v >= threshold[j] && (confident < 0 || v > p[off + confident])) confident = j;
    }
    if (confident >= 0 && confident !== given && argmax !== given) {
      this.issues.push({ index, given, suggested: confident, confidence: p[off + confident], selfConfidence: p[off + given] });
    }
  }

  /** The flagged rows, largest margin between the suggested and the given class first. */
  ranked(): LabelIssueCandidate[] {
    return [...this.issues].sort((a, b) => b.confidence - b.selfConfidence - (a.confidence - a.selfConfidence) || a.index - b.index);
  }
}

/** Confident learning over a whole matrix of out-of-sample probabilities (see ConfidentLearning). */
export function findLabelIssues(probabilities: Matrix, labels: Int32Array, minPerClass = MIN_LABEL_ISSUE_EVIDENCE): LabelIssueCandidate[] {
  const { data: p, rows, cols } = probabilities;
  assertLabels(labels, rows, cols);
  const cl = new ConfidentLearning(cols, minPerClass);
  for (let i = 0; i < rows; i++) cl.addRow(p[i * cols + labels[i]], labels[i]);
  for (let i = 0; i < rows; i++) cl.checkRow(p, i * cols, labels[i], i);
  return cl.ranked();
}
