// The bias panel's tab title, in the user's words: which dataset and when, not a run id. No vscode import.
import { basename } from 'node:path';

/** "GLA Bias · shapes · Jun 7, 2024, 2:00 PM": the dataset's folder and the run's local date and time. */
export function runPanelTitle(datasetRoot: string | undefined, runDir: string, createdAt: unknown, fallbackTime: number, locale?: string): string {
  const folder = datasetRoot ? basename(datasetRoot.replace(/[\\/]+$/, '')) : '';
  const parsed = typeof createdAt === 'string' ? Date.parse(createdAt) : NaN;
  const when = Number.isFinite(parsed) ? parsed : fallbackTime;
  const parts = ['GLA Bias', folder || basename(runDir)];
  if (Number.isFinite(when)) parts.push(shortDateTime(when, locale));
  return parts.join(' · ');
}

/** "GLA Bias · clip-vit-b16-imagenet.json". */
export function profilePanelTitle(fileName: string): string {
  return `GLA Bias · ${fileName}`;
}

export function shortDateTime(ms: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}
