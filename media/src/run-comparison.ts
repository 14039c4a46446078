// The panel's Re-run and Compare with… buttons, and the comparison of two runs they lead to: a header naming both runs
// ("before" is the earlier) and what changed between them, top-1 per model, a sortable per-class table of Δq, Δbias
// and Δrecall per model (with units and signs), and the label issues that appeared or disappeared.
import type { Change, CompareResult, ComparedClass, ModelKind, PanelData, PanelHost, RunComparison } from '../../client/src/bias-panel-api';
import { h } from './dom';
import { NA, percent, prior } from './format';

type SortKey = 'order' | 'name' | 'q' | 'bias' | `recall:${ModelKind}`;
type Direction = 'ascending' | 'descending';

/** "+16.7", "−8.3", "0.0": a change of recall in percentage points, one decimal. */
export function deltaPoints(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return NA;
  const p = v * 100;
  const text = Math.abs(p).toFixed(1);
  return text === '0.0' ? '0.0' : `${p > 0 ? '+' : '−'}${text}`;
}

/** A change of q (a probability), three significant digits with its sign. */
export function deltaQ(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return NA;
  if (v === 0) return '0';
  const a = Math.abs(v);
  return `${v > 0 ? '+' : '−'}${a >= 0.001 ? a.toPrecision(3) : a.toExponential(2).replace('e-', 'e−')}`;
}

/** A change of bias in nats, two decimals with its sign. */
export function deltaNats(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return NA;
  const text = Math.abs(v).toFixed(2);
  return text === '0.00' ? '0.00' : `${v > 0 ? '+' : '−'}${text}`;
}

const tone = (v: number | null, epsilon: number) => (v === null || Math.abs(v) < epsilon ? 'flat' : v > 0 ? 'up' : 'down');

interface Column {
  key: SortKey;
  label: string;
  title: string;
  cls: string;
  cell: (c: ComparedClass) => HTMLElement;
  value: (c: ComparedClass) => number | string | null;
}

/** The comparison itself: built from a RunComparison, closed by its own button. */
class ComparisonView {
  readonly element: HTMLElement;
  private sort: SortKey = 'order';
  private direction: Direction = 'ascending';
  private readonly body: HTMLTableSectionElement;
  private readonly columns: Column[];
  private readonly headers = new Map<SortKey, HTMLElement>();

  constructor(private readonly c: RunComparison, close: () => void) {
    const closeButton = h('button', { type: 'button', class: 'close-comparison', 'aria-label': 'Close the comparison' }, 'Close');
    closeButton.addEventListener('click', close);
    const run = (role: string, r: RunComparison['before']) =>
      h('div', { class: `compared-run ${role}` }, h('span', { class: 'role' }, role === 'before' ? 'Before' : 'After'), h('strong', { class: 'label' }, r.label), h('span', { class: 'id' }, r.runId));
    const changes = c.changes.length
      ? h('ul', { class: 'changes', 'aria-label': 'What changed between the runs' }, ...c.changes.map((t) => h('li', {}, t)))
      : h('p', { class: 'changes none' }, 'Nothing recorded differs in how the runs were made (model, templates, prompts, classes, images).');
    this.columns = this.makeColumns();
    this.body = h('tbody');
    // Two header rows: the models' columns share one heading that carries their unit.
    const head = h('tr');
    const models = h('tr');
    for (const col of this.columns) {
      const button = h('button', { type: 'button', class: 'sort', title: col.title }, h('span', { class: 'label' }, col.label), h('span', { class: 'arrow', 'aria-hidden': 'true' }));
      button.addEventListener('click', () => this.sortBy(col.key));
      const isModel = col.key.startsWith('recall:');
      const th = h('th', { scope: 'col', class: col.cls, 'aria-sort': 'none', title: col.title, ...(isModel ? {} : { rowspan: 2 }) }, button);
      this.headers.set(col.key, th);
      (isModel ? models : head).append(th);
    }
    head.append(h('th', { scope: 'colgroup', colspan: this.c.models.length, class: 'cmp-dr-group', title: 'Δrecall per model in percentage points (after − before)' }, 'Δrecall (pts)'));
    const table = h('table', { class: 'comparison-table', 'aria-label': 'Per-class changes, after − before' }, h('thead', {}, head, models), this.body);
    this.element = h(
      'section',
      { class: 'comparison', 'aria-label': 'Run comparison' },
      h('header', { class: 'comparison-head' }, h('h2', {}, 'Run comparison: after − before'), closeButton),
      h('div', { class: 'compared-runs' }, run('before', c.before), h('span', { class: 'arrow', 'aria-hidden': 'true' }, '→'), run('after', c.after)),
      h('h3', {}, 'What changed'),
      changes,
      ...(c.notes.length ? [h('p', { class: 'comparison-notes' }, ...c.notes.map((n) => h('span', {}, n)))] : []),
      this.top1(),
      h('div', { class: 'table-scroll' }, table),
      this.labelIssues(),
    );
    this.render();
  }

  private makeColumns(): Column[] {
    const num = (cls: string, text: string, title: string, v: number | null, epsilon: number) => h('td', { class: cls, 'data-tone': tone(v, epsilon), title }, text);
    const cols: Column[] = [
      { key: 'name', label: 'Class', title: 'Class (the folder name); sorted by the later run\'s order until you sort', cls: 'cmp-name', value: (x) => x.name, cell: (x) => h('td', { class: 'cmp-name', title: x.prompt ? `prompt ${JSON.stringify(x.prompt.before ?? '')} → ${JSON.stringify(x.prompt.after ?? '')}` : x.name }, x.name, x.prompt ? h('span', { class: 'prompt-changed' }, ' prompt changed') : '') },
      {
        key: 'q',
        label: 'Δq',
        title: 'Δq: the change in q, CLIP\'s pre-training prior of the class, a probability from 0 to 1 (after − before)',
        cls: 'cmp-dq',
        value: (x) => x.q.delta,
        cell: (x) => num('cmp-dq', deltaQ(x.q.delta), `q ${prior(x.q.before)} → ${prior(x.q.after)}`, x.q.delta, 1e-12),
      },
      {
        key: 'bias',
        label: 'Δbias (nats)',
        title: 'Δbias in nats: the change in log(C·q), CLIP\'s bias toward (+) or against (−) the class (after − before)',
        cls: 'cmp-dbias',
        value: (x) => x.bias.delta,
        cell: (x) => num('cmp-dbias', deltaNats(x.bias.delta), `log(C·q) ${nat(x.bias.before)} → ${nat(x.bias.after)} nats`, x.bias.delta, 0.005),
      },
    ];
    for (const k of this.c.models) {
      const label = this.c.modelLabels[k];
      cols.push({
        key: `recall:${k}`,
        label,
        title: `Δrecall of ${label} in percentage points (after − before)`,
        cls: `cmp-dr cmp-dr-${k}`,
        value: (x) => x.recall[k].delta,
        cell: (x) => num(`cmp-dr cmp-dr-${k}`, deltaPoints(x.recall[k].delta), `${label} recall ${percent(x.recall[k].before, 1)} → ${percent(x.recall[k].after, 1)}`, x.recall[k].delta, 0.0005),
      });
    }
    return cols;
  }

  private top1(): HTMLElement {
    const items = this.c.models.map((k) => {
      const t: Change = this.c.top1[k];
      return h('li', { 'data-tone': tone(t.delta, 0.0005), title: `top-1 of ${this.c.modelLabels[k]}: ${percent(t.before, 1)} → ${percent(t.after, 1)}` }, h('span', { class: 'model' }, this.c.modelLabels[k]), ` ${percent(t.before, 1)} → ${percent(t.after, 1)} `, h('span', { class: 'delta' }, `(${deltaPoints(t.delta)} pts)`));
    });
    return h('div', { class: 'comparison-top1' }, h('h3', {}, 'Top-1 accuracy'), h('ul', {}, ...items));
  }

  private labelIssues(): HTMLElement {
    const list = (title: string, items: RunComparison['labelIssues']['appeared']) =>
      h(
        'div',
        { class: 'issue-changes', 'aria-label': title },
        h('h3', {}, `${title} (${items.length})`),
        items.length
          ? h('ul', {}, ...items.map((i) => h('li', {}, h('span', { class: 'path' }, i.path), h('span', { class: 'what' }, ` ${i.given} → ${i.suggested}${i.confidence !== null ? ` (${percent(i.confidence)})` : ''}`))))
          : h('p', { class: 'none' }, 'none'),
      );
    const only = this.c.onlyBefore.length || this.c.onlyAfter.length
      ? [h('p', { class: 'only-in' }, `Only in the earlier run: ${this.c.onlyBefore.join(', ') || 'none'}. Only in the later run: ${this.c.onlyAfter.join(', ') || 'none'}.`)]
      : [];
    return h('div', { class: 'comparison-issues' }, ...only, list('Label issues that appeared', this.c.labelIssues.appeared), list('Label issues that disappeared', this.c.labelIssues.disappeared));
  }

  private sortBy(key: SortKey): void {
    // Changes sort largest first; names A to Z.
    this.direction = this.sort === key ? (this.direction === 'ascending' ? 'descending' : 'ascending') : key === 'name' ? 'ascending' : 'descending';
    this.sort = key;
    this.render();
  }

  private render(): void {
    const col = this.columns.find((x) => x.key === this.sort);
    const rows = this.c.classes.map((x, i) => ({ x, i }));
    if (col) {
      const sign = this.direction === 'ascending' ? 1 : -1;
      rows.sort((a, b) => {
        const va = col.value(a.x);
        const vb = col.value(b.x);
        // Missing values go last whichever way.
        if (va === null || vb === null) return va === vb ? a.i - b.i : va === null ? 1 : -1;
        return (typeof va === 'string' ? va.localeCompare(String(vb)) : va - (vb as number)) * sign || a.i - b.i;
      });
    }
    this.body.replaceChildren(...rows.map(({ x }) => h('tr', { 'data-class': x.name }, ...this.columns.map((c) => c.cell(x)))));
    for (const [key, th] of this.headers) {
      const on = key === this.sort;
      th.setAttribute('aria-sort', on ? this.direction : 'none');
      th.querySelector('.arrow')!.textContent = on ? (this.direction === 'ascending' ? '▲' : '▼') : '';
    }
  }
}

function nat(v: number | null): string {
  return v === null ? NA : `${v < 0 ? '−' : v > 0 ? '+' : ''}${Math.abs(v).toFixed(2)}`;
}

/** Re-run and Compare with… (run panels only), and the place the comparison and the re-run offer appear. */
export class RunTools {
  readonly buttons: HTMLButtonElement[];
  /** Goes right under the panel's header. */
  readonly element: HTMLElement;
  private readonly status: HTMLElement;
  private readonly rerunButton: HTMLButtonElement;
  private readonly compareButton: HTMLButtonElement;
  private view?: HTMLElement;

  /** The comparison on screen, if any. */
  private shown?: RunComparison;

  constructor(
    private readonly host: PanelHost,
    data: PanelData,
    /** The comparison shown changed: the page saves its state. */
    private readonly changed: () => void = () => undefined,
  ) {
    this.rerunButton = h('button', { type: 'button', class: 'rerun', title: 'Analyze this dataset again, with gla.yaml as it is now', 'aria-label': 'Re-run the analysis of this dataset' }, 'Re-run');
    this.compareButton = h('button', { type: 'button', class: 'compare', title: 'Compare this run with another run of the same dataset', 'aria-label': 'Compare with another run of this dataset' }, 'Compare with…');
    this.rerunButton.addEventListener('click', () => void this.rerun());
    this.compareButton.addEventListener('click', () => void this.compare());
    this.buttons = [this.rerunButton, this.compareButton];
    this.status = h('p', { class: 'run-tools-status', role: 'status', 'aria-live': 'polite' });
    this.element = h('div', { class: 'run-tools' }, this.status);
    if (data.previousRun) {
      const offer = h('button', { type: 'button', class: 'primary compare-previous' }, 'Compare with the previous run');
      const previous = data.previousRun;
      offer.addEventListener('click', () => void this.compare(previous.runDir));
      this.element.prepend(h('div', { class: 'notice rerun-offer', role: 'note' }, `This is the re-run of ${previous.label}. `, offer));
    }
    if (data.comparison) this.show(data.comparison, false);
  }

  /** Shows a comparison (replacing any shown), scrolled into view when asked for. */
  show(comparison: RunComparison, scroll = true): void {
    const view = new ComparisonView(comparison, () => this.close()).element;
    if (this.view) this.view.replaceWith(view);
    else this.element.append(view);
    this.view = view;
    this.shown = comparison;
    this.changed();
    this.element.querySelector('.rerun-offer')?.remove();
    if (scroll) view.scrollIntoView({ block: 'start' });
  }

  private close(): void {
    this.view?.remove();
    this.view = undefined;
    this.shown = undefined;
    this.changed();
    void this.host.closeComparison().catch(() => undefined);
    this.compareButton.focus();
  }

  /** The run folders of the comparison shown (before, after); undefined when none is. */
  get comparedWith(): string[] | undefined {
    return this.shown && [this.shown.before.runDir, this.shown.after.runDir];
  }

  private say(message: string): void {
    this.status.textContent = message;
  }

  private async compare(runDir?: string): Promise<void> {
    this.say(runDir ? 'Comparing…' : 'Pick the run to compare with…');
    try {
      const result: CompareResult = await this.host.compareWith(runDir);
      if (result.comparison) {
        this.say(`Comparing ${result.comparison.before.label} (before) with ${result.comparison.after.label} (after).`);
        this.show(result.comparison);
      } else {
        this.say(result.message);
      }
    } catch (err) {
      this.say(`Could not compare: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async rerun(): Promise<void> {
    this.rerunButton.disabled = true;
    this.rerunButton.textContent = 'Re-running…';
    this.say('Analyzing the dataset again; progress and Cancel are in the notification.');
    try {
      this.say((await this.host.rerun()).message);
    } catch (err) {
      this.say(`Could not re-run: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.rerunButton.disabled = false;
      this.rerunButton.textContent = 'Re-run';
    }
  }
}
