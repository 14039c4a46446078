// The prompt lab's lines as the editor shows them: the run's figure, the new one, and the change, two decimals.
import type { ClassRecall } from './lab-request';

const figure = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(2));

function change(before: number | null, after: number | null): string {
  if (before === null || after === null) return '';
  const d = Number(after.toFixed(2)) - Number(before.toFixed(2));
  if (Math.abs(d) < 0.005) return ' (no change)';
  return ` (${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(2)})`;
}

const pair = (what: string, before: number | null, after: number | null): string => `${what} ${figure(before)} → ${figure(after)}${change(before, after)}`;

/** One class: "prompt lab: zero-shot recall 0.42 → 0.67 (+0.25) · debiased 0.80 → 0.85 (+0.05) on test, not yet run". */
export function classLine(c: ClassRecall, evaluatedOn: string): string {
  if (c.after.zeroShot === null) return `prompt lab: no ${evaluatedOn === 'test' ? 'test image' : 'labelled image'} of ${c.name} to score, not yet run`;
  return `prompt lab: ${pair('zero-shot recall', c.before.zeroShot, c.after.zeroShot)} · ${pair('debiased', c.before.debiased, c.after.debiased)} on ${evaluatedOn}, not yet run`;
}

/** The templates line: mean recall over the classes. */
export function meanLine(mean: ClassRecall, evaluatedOn: string): string {
  return `prompt lab: ${pair('mean zero-shot recall', mean.before.zeroShot, mean.after.zeroShot)} · ${pair('debiased', mean.before.debiased, mean.after.debiased)} on ${evaluatedOn}, not yet run`;
}

/** Why there are no figures. */
export function noticeLine(message: string): string {
  return `prompt lab: ${message}`;
}
