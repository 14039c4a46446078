// Summary cards: overall top-1 per model, and head, medium and tail (thirds of the classes by q) with mean recall
// per model. A bias profile has no recall: its cards say how the prior mass and the bias spread over the thirds.
import type { ClassGroup, ModelKind, PanelClass, PanelData, PerModel } from '../../client/src/bias-panel-api';
import { h, s } from './dom';
import { marker } from './charts';
import { count, nats, percent, prior } from './format';

const GROUP_LABELS: Record<ClassGroup, string> = { head: 'Head', medium: 'Medium', tail: 'Tail' };

/** A legend swatch: the model's marker as the recall chart draws it. */
export function modelSwatch(kind: ModelKind): SVGSVGElement {
  return s('svg', { class: 'swatch', width: 12, height: 12, viewBox: '-6 -6 12 12', 'aria-hidden': 'true', focusable: 'false' }, marker(kind));
}

/** One bar per model; with `sd` (a seeds run), each value reads "mean ± sd". */
function bars(data: PanelData, values: PerModel<number | null> | null, what: string, sd?: PerModel<number | null> | null): HTMLElement {
  const list = h('dl', { class: 'bars' });
  for (const k of data.models) {
    const label = data.modelLabels[k];
    const v = values?.[k] ?? null;
    const spread = sd?.[k] ?? null;
    const fill = h('span', { class: `fill f-${k}` });
    fill.style.width = `${Math.max(0, Math.min(1, v ?? 0)) * 100}%`;
    const value = h('span', { class: 'value', 'aria-hidden': 'true' }, percent(v, 1));
    if (v !== null && spread !== null) value.append(h('span', { class: 'sd' }, ` ± ${(spread * 100).toFixed(1)}`));
    const spoken = `${what} ${label}: ${percent(v, 1)}${v !== null && spread !== null ? ` ± ${(spread * 100).toFixed(1)} points over seeds` : ''}`;
    list.append(
      h('dt', { title: label }, modelSwatch(k), h('span', { class: 'label' }, label)),
      h('dd', { 'aria-label': spoken }, h('span', { class: 'track', 'aria-hidden': 'true' }, fill), value),
    );
  }
  return list;
}

function card(title: string, subtitle: string, ...body: HTMLElement[]): HTMLElement {
  const id = `card-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return h('article', { class: 'card', 'aria-labelledby': id }, h('h3', { id }, title), h('p', { class: 'sub' }, subtitle), ...body);
}

function range(values: number[], format: (v: number) => string): string {
  if (!values.length) return 'n/a';
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  return `${format(lo)} … ${format(hi)}`;
}

function facts(lines: [string, string][]): HTMLElement {
  const list = h('dl', { class: 'facts' });
  for (const [k, v] of lines) list.append(h('dt', {}, k), h('dd', {}, v));
  return list;
}

export function summaryCards(data: PanelData): HTMLElement {
  const section = h('section', { class: 'cards', 'aria-label': 'Summary' });
  const C = data.classes.length;
  const strong = data.classes.filter((c) => c.finding === 'biased-against').length;
  const members = (g: ClassGroup) => data.classes.filter((c) => c.group === g);
  const biasValues = (cs: PanelClass[]) => cs.map((c) => c.bias).filter((v): v is number => v !== null);
  const priorValues = (cs: PanelClass[]) => cs.map((c) => c.prior).filter((v): v is number => v !== null);
  if (data.kind === 'run') {
    const subtitle = `${data.top1Sd ? 'top-1, mean ± sd over seeds' : 'top-1 accuracy'} · ${count(C)} classes`;
    section.append(card('All classes', subtitle, bars(data, data.top1, 'top-1', data.top1Sd)));
  } else {
    section.append(
      card(
        'All classes',
        `${count(C)} classes · uniform 1/C = ${prior(1 / Math.max(1, C))}`,
        facts([
          ['q', range(priorValues(data.classes), prior)],
          ['bias (nats)', range(biasValues(data.classes), nats)],
          ['≤ −1 nat', `${count(strong)} classes`],
        ]),
      ),
    );
  }
  for (const g of ['head', 'medium', 'tail'] as const) {
    const summary = data.groups[g];
    const subtitle = `${count(summary.classes)} classes · ${percent(summary.priorMass)} of q`;
    if (data.kind === 'run') {
      section.append(card(GROUP_LABELS[g], `mean recall · ${subtitle}`, bars(data, summary.recall, `${GROUP_LABELS[g]} mean recall`)));
    } else {
      const cs = members(g);
      const b = biasValues(cs);
      section.append(
        card(
          GROUP_LABELS[g],
          subtitle,
          facts([
            ['q', range(priorValues(cs), prior)],
            ['bias (nats)', range(b, nats)],
            ['mean bias', b.length ? `${nats(b.reduce((a, v) => a + v, 0) / b.length)} nats` : 'n/a'],
          ]),
        ),
      );
    }
  }
  return section;
}
