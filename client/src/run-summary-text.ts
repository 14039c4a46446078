// One-line, plain-language summaries of a finished run, for notifications and the status bar. No vscode import.
import type { RunSummary } from '../../server/src/protocol';

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : `${(value * 100).toFixed(1)}%`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function names(list: readonly string[], max = 3): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

/**
 * "Analyzed 1,200 images in 10 classes: top-1 71.0% zero-shot → 84.2% with GLA (naive ensemble 80.1%). CLIP
 * under-predicts cat, dog." The naive ensemble is the baseline GLA improves on; older summaries lack it.
 */
export function describeRun(s: RunSummary): string {
  const parts = [`Analyzed ${plural(s.images, 'image')} in ${plural(s.classes, 'class', 'classes')}`];
  if (s.labelFree) {
    parts[0] += ' (label-free: no accuracy to report)';
  } else {
    parts[0] += `: top-1 ${percent(s.top1.zeroShot)} zero-shot → ${percent(s.top1.gla)} with GLA`;
    const ensemble = s.top1.ensemble;
    if (typeof ensemble === 'number' && Number.isFinite(ensemble)) parts[0] += ` (naive ensemble ${percent(ensemble)})`;
  }
  let text = `${parts[0]}.`;
  if (s.leastFavoured.length) text += ` CLIP under-predicts ${names(s.leastFavoured)}.`;
  const extras: string[] = [];
  if (s.labelIssues > 0) extras.push(`${plural(s.labelIssues, 'suspected label error')} (see Problems)`);
  if (s.failed > 0) extras.push(`${plural(s.failed, 'image')} could not be read`);
  if (extras.length) text += ` ${extras.join('; ')}.`;
  return text;
}

/** Short form for the status bar: "top-1 84.2%" or "label-free". */
export function shortRunText(s: RunSummary): string {
  return s.labelFree ? 'label-free run' : `GLA top-1 ${percent(s.top1.gla)}`;
}
