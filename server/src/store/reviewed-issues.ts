// A run's label issues less the images the user marked "not an error" (.gla/reviewed.json) whose content is unchanged.
import { readReviewed, stillReviewed } from './reviewed';
import type { LabelIssue } from '../engine/report';

export interface ReviewedFilter {
  labelIssues: LabelIssue[];
  /** How many candidates were left out as reviewed. */
  reviewed: number;
}

/** Leaves out the reviewed images; a malformed or foreign reviewed.json is ignored with one notice. */
export async function withoutReviewed(issues: LabelIssue[], workspaceRoot: string, datasetRoot: string, notice?: (message: string) => void): Promise<ReviewedFilter> {
  const read = await readReviewed(workspaceRoot, datasetRoot);
  if (read.notice) notice?.(read.notice);
  if (!read.entries.length) return { labelIssues: issues, reviewed: 0 };
  const done = await stillReviewed(datasetRoot, read.entries, issues.map((i) => i.path));
  return { labelIssues: issues.filter((i) => !done.has(i.path)), reviewed: done.size };
}
