// The bias panel's class table as CSV, one row per class in the panel's order, for spreadsheets. No vscode import.
import { MODEL_KINDS } from '../../server/src/engine/report';
import type { PanelClass, PanelData } from './bias-panel-api';
import { csvLine } from './csv-text';

/** Every model, the naive ensemble included, so the columns are the same for every run (empty where a report lacks one). */
const MODELS = MODEL_KINDS;

/** Full precision: the CSV is for further analysis, not for reading. */
function n(v: number | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

export function classTableCsv(data: PanelData, rows: readonly number[]): string {
  const run = data.kind === 'run';
  const header = ['class', 'prompt', 'group', 'q', 'log_q', 'bias_nats', 'finding'];
  if (run) {
    header.push('support_train', 'support_val', 'support_test');
    for (const k of MODELS) header.push(`recall_${k}`);
    header.push('recall_gain_gla');
    for (const k of MODELS) header.push(`precision_${k}`);
    header.push('label_issues', 'misclassified');
  }
  const lines = [csvLine(header)];
  for (const i of rows) {
    const c: PanelClass | undefined = data.classes[i];
    if (!c) continue;
    const fields: (string | number)[] = [c.name, c.prompt ?? '', c.group ?? '', n(c.prior), c.prior ? String(Math.log(c.prior)) : '', n(c.bias), c.finding ?? ''];
    if (run) {
      fields.push(n(c.support?.train), n(c.support?.val), n(c.support?.test));
      for (const k of MODELS) fields.push(n(c.recall?.[k]));
      const zs = c.recall?.zeroShot ?? null;
      const gla = c.recall?.gla ?? null;
      fields.push(zs !== null && gla !== null ? String(gla - zs) : '');
      for (const k of MODELS) fields.push(n(c.precision?.[k]));
      fields.push(c.labelIssues, c.misclassified);
    }
    lines.push(csvLine(fields));
  }
  return lines.join('\n') + '\n';
}
