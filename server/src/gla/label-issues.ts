import { assertLabels, type Matrix } from './matrix';

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
 * most confident first.
 */
export function findLabelIssues(probabilities: Matrix, labels: Int32Array, minPerClass = MIN_LABEL_ISSUE_EVIDENCE): LabelIssueCandidate[] {
  const { data: p, rows, cols } = probabilities;
  assertLabels(labels, rows, cols);
  const thresholdSum = new Float64Array(cols);
  const counts = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    thresholdSum[labels[i]] += p[i * cols + labels[i]];
    counts[labels[i]]++;
  }
  // A threshold from fewer than minPerClass images is noise: such a class neither flags nor is suggested.
  const threshold = Array.from(thresholdSum, (s, j) => (counts[j] >= Math.max(1, minPerClass) ? s / counts[j] : Infinity));
  const issues: LabelIssueCandidate[] = [];
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    const given = labels[i];
    if (threshold[given] === Infinity) continue;
    let confident = -1;
    let argmax = 0;
    for (let j = 0; j < cols; j++) {
      const v = p[off + j];
      if (v > p[off + argmax]) argmax = j;
      if (v >= threshold[j] && (confident < 0 || v > p[off + confident])) confident = j;
    }
    if (confident >= 0 && confident !== given && argmax !== given) {
      issues.push({ index: i, given, suggested: confident, confidence: p[off + confident], selfConfidence: p[off + given] });
    }
  }
  // Largest margin between the suggested and the given class first.
  return issues.sort((a, b) => b.confidence - b.selfConfidence - (a.confidence - a.selfConfidence) || a.index - b.index);
}
