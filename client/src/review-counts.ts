// After "Not an error": the images leave the review queue, and every count that included them follows (the
// threshold row, the class's label issues, the reviewed tally). Shared by the extension and the page; no imports.
import type { PanelData } from './bias-panel-api';

/** Takes `paths` out of the panel data's label issues, in place; returns how many were there. */
export function removeReviewed(data: Pick<PanelData, 'images' | 'classes'>, paths: ReadonlySet<string>): number {
  const gone = data.images.labelIssues.filter((i) => paths.has(i.path));
  if (!gone.length) return 0;
  data.images.labelIssues = data.images.labelIssues.filter((i) => !paths.has(i.path));
  data.images.totalLabelIssues -= gone.length;
  data.images.reviewed += gone.length;
  for (const step of data.images.thresholdCounts) step.count -= gone.filter((i) => (i.confidence ?? 0) >= step.threshold).length;
  for (const img of gone) {
    const c = data.classes.find((k) => k.name === img.given);
    if (c && c.labelIssues > 0) c.labelIssues--;
  }
  return gone.length;
}
