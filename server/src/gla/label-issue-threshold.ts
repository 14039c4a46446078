// gla.labelIssues.threshold: the least out-of-sample GLA probability of the suggested class for a confident-learning
// candidate to be flagged. report.json keeps every candidate, so a new threshold needs no re-run.
export const DEFAULT_LABEL_ISSUE_THRESHOLD = 0.5;

/** The settings the panel counts flags for, beside the current one. */
export const THRESHOLD_STEPS = [0.5, 0.6, 0.7, 0.8, 0.9] as const;

/** A setting value as a threshold in [0, 1]; anything else is the default. */
export function labelIssueThreshold(raw: unknown): number {
  return typeof raw === 'number' && Number.isFinite(raw) && raw >= 0 && raw <= 1 ? raw : DEFAULT_LABEL_ISSUE_THRESHOLD;
}

/** The candidates flagged at `threshold` (confidence at or above it), in their order. */
export function flaggedAt<T extends { confidence: number }>(issues: readonly T[], threshold: number): T[] {
  return issues.filter((i) => i.confidence >= threshold);
}

/** How many candidates each threshold flags, the current one included and marked. */
export function thresholdCounts(issues: readonly { confidence: number }[], current: number): { threshold: number; count: number; current: boolean }[] {
  const steps = [...new Set([...THRESHOLD_STEPS, current])].sort((a, b) => a - b);
  return steps.map((threshold) => ({ threshold, count: flaggedAt(issues, threshold).length, current: threshold === current }));
}
