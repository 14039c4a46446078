// The prompt lab's lines as the editor shows them: the run's figure, the new one, and the change, two decimals. The
// title fits a 600-pixel editor; its tooltip says the rest (which recall, on what split, that it is not a run).
import type { ClassRecall } from './lab-request';

const figure = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(2));

function change(before: number | null, after: number | null): string {
  if (before === null || after === null) return '';
  const d = Number(after.toFixed(2)) - Number(before.toFixed(2));
  if (Math.abs(d) < 0.005) return ' (no change)';
  return ` (${d > 0 ? '+' : '−'}${Math.abs(d).toFixed(2)})`;
}

const pair = (what: string, before: number | null, after: number | null): string => `${what} ${figure(before)}→${figure(after)}${change(before, after)}`;

/** What a lens says, and its hover. */
export interface LabLine {
  title: string;
  tooltip: string;
}

const tooltip = (what: string, evaluatedOn: string) =>
  `Prompt lab: ${what} on ${evaluatedOn}, the last run's → under the prompts as typed (scored from the run's cached image embeddings, q refitted). Not yet run: Analyze to make it one.`;

/** One class: "lab: zero-shot 0.42→0.67 (+0.25) · debiased 0.80→0.85 (+0.05)". */
export function classLine(c: ClassRecall, evaluatedOn: string): LabLine {
  if (c.after.zeroShot === null) return { title: `lab: no ${evaluatedOn === 'test' ? 'test image' : 'labelled image'} of ${c.name} to score`, tooltip: tooltip(`${c.name}'s recall`, evaluatedOn) };
  return { title: `lab: ${pair('zero-shot', c.before.zeroShot, c.after.zeroShot)} · ${pair('debiased', c.before.debiased, c.after.debiased)}`, tooltip: tooltip(`${c.name}'s zero-shot and debiased recall`, evaluatedOn) };
}

/** The templates line: mean recall over the classes. */
export function meanLine(mean: ClassRecall, evaluatedOn: string): LabLine {
  return { title: `lab: mean ${pair('zero-shot', mean.before.zeroShot, mean.after.zeroShot)} · ${pair('debiased', mean.before.debiased, mean.after.debiased)}`, tooltip: tooltip('the mean zero-shot and debiased recall over the classes', evaluatedOn) };
}

/** Why there are no figures. */
export function noticeLine(message: string): LabLine {
  return { title: `prompt lab: ${message}`, tooltip: `Prompt lab: ${message}` };
}
