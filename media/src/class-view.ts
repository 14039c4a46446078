// Which classes the table shows, in which order: sort key and direction, group and flag filters, and a search.
import type { ClassFinding, ClassGroup, ModelKind, PanelClass } from '../../client/src/bias-panel-api';
import { f1Score } from '../../client/src/confusion';
import { FINDING_LABELS } from '../../server/src/engine/class-findings';

export type SortKey = 'bias' | 'q' | 'gain' | 'name' | 'support' | 'precision' | 'recall' | 'f1';
export type SortDirection = 'ascending' | 'descending';

export interface ViewState {
  sort: SortKey;
  direction: SortDirection;
  /** Empty: every group. */
  groups: ClassGroup[];
  /** Empty: any finding or none; else classes with one of these findings. */
  findings: ClassFinding[];
  withLabelIssues: boolean;
  search: string;
  /** The model whose precision, recall and F1 the table shows, and the confusion matrix and image grid use. */
  model: ModelKind;
}

export const DEFAULT_VIEW: ViewState = { sort: 'bias', direction: 'ascending', groups: [], findings: [], withLabelIssues: false, search: '', model: 'gla' };

/**
 * The direction a column sorts in when first picked: most under-predicted, largest gain, most images first, and the
 * weakest classes first for precision, recall and F1.
 */
export const FIRST_DIRECTION: Record<SortKey, SortDirection> = {
  bias: 'ascending',
  q: 'ascending',
  gain: 'descending',
  name: 'ascending',
  support: 'descending',
  precision: 'ascending',
  recall: 'ascending',
  f1: 'ascending',
};

/** Precision, recall and F1 of a class under a model, as report.json gives the first two; null: n/a. */
export function classScores(c: PanelClass, model: ModelKind): { precision: number | null; recall: number | null; f1: number | null } {
  const precision = c.precision?.[model] ?? null;
  const recall = c.recall?.[model] ?? null;
  return { precision, recall, f1: f1Score(precision, recall) };
}

export function recallGain(c: PanelClass): number | null {
  const zs = c.recall?.zeroShot ?? null;
  const gla = c.recall?.gla ?? null;
  return zs !== null && gla !== null ? gla - zs : null;
}

export function totalSupport(c: PanelClass): number | null {
  return c.support ? c.support.train + c.support.val + c.support.test : null;
}

function sortValue(c: PanelClass, key: SortKey, model: ModelKind): number | null {
  switch (key) {
    case 'precision':
    case 'recall':
    case 'f1':
      return classScores(c, model)[key];
    case 'bias':
      return c.bias;
    case 'q':
      return c.prior;
    case 'gain':
      return recallGain(c);
    case 'support':
      return totalSupport(c);
    case 'name':
      return null;
  }
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Indices into `classes`, filtered and sorted. Missing values sort last either way; ties keep name order. */
export function visibleClasses(classes: readonly PanelClass[], view: ViewState): number[] {
  const needle = view.search.trim().toLowerCase();
  const groups = new Set(view.groups);
  const out: number[] = [];
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    if (groups.size && (!c.group || !groups.has(c.group))) continue;
    if (view.findings.length && (!c.finding || !view.findings.includes(c.finding))) continue;
    if (view.withLabelIssues && c.labelIssues === 0) continue;
    if (needle && !c.name.toLowerCase().includes(needle) && !(c.prompt ?? '').toLowerCase().includes(needle)) continue;
    out.push(i);
  }
  const sign = view.direction === 'ascending' ? 1 : -1;
  const byName = (a: number, b: number) => collator.compare(classes[a].name, classes[b].name);
  if (view.sort === 'name') return out.sort((a, b) => sign * byName(a, b));
  const keys = new Float64Array(classes.length);
  for (const i of out) keys[i] = sortValue(classes[i], view.sort, view.model) ?? NaN;
  return out.sort((a, b) => {
    const ka = keys[a];
    const kb = keys[b];
    if (Number.isNaN(ka) || Number.isNaN(kb)) return Number.isNaN(ka) === Number.isNaN(kb) ? byName(a, b) : Number.isNaN(ka) ? 1 : -1;
    return sign * (ka - kb) || byName(a, b);
  });
}

/** A short phrase for what the table shows, for the CSV export dialog and the count line. */
export function describeView(view: ViewState, shown: number, total: number): string {
  const filters = [
    view.groups.length ? view.groups.join('/') : '',
    view.findings.map((f) => FINDING_LABELS[f]).join(' or '),
    view.withLabelIssues ? 'with label issues' : '',
    view.search.trim() ? `matching "${view.search.trim()}"` : '',
  ].filter(Boolean);
  return shown === total && !filters.length ? `all ${total} classes` : `${shown} of ${total} classes (${filters.join(', ')})`;
}
