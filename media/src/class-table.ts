// The class table: an ARIA grid whose rows are virtualised against the page's scroll. Only the rows on screen (plus
// a few either side, plus the focused one) are in the DOM, each reused as the view scrolls, so 10 000 classes cost
// what 40 do. One tab stop (the active row); arrows, Page Up/Down, Home/End move it; Enter or Space acts on it.
import type { ModelKind, PanelClass, PanelData } from '../../client/src/bias-panel-api';
import { PriorChart, RecallChart, RECALL_TICKS, axis, priorScale, type PriorScale } from './charts';
import { classScores, recallGain, totalSupport, type SortKey, type ViewState } from './class-view';
import { h } from './dom';
import { NA, count, nats, percent, points, prior } from './format';

export const ROW_HEIGHT = 28;
const OVERSCAN = 6;

interface Column {
  label: string;
  /** Spoken and shown on hover: what the column holds. */
  description: string;
  className: string;
  sort?: SortKey;
  axis?: () => SVGSVGElement;
}

interface RowView {
  element: HTMLDivElement;
  update(c: PanelClass, position: number): void;
}

export interface ClassTableEvents {
  /** Enter, Space or a click on a class. */
  activate(index: number): void;
  sort(key: SortKey): void;
}

export class ClassTable {
  readonly element: HTMLDivElement;
  private readonly header: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly scale: PriorScale;
  private readonly run: boolean;
  private readonly columns: Column[];
  private readonly headerCells = new Map<SortKey, HTMLElement[]>();
  private order: number[] = [];
  private positionOf: Int32Array;
  private readonly shown = new Map<number, RowView>();
  private readonly pool: RowView[] = [];
  private active = -1;
  private scheduled = 0;
  private model: ModelKind = 'gla';
  private readonly scoreHeaders: { cell: HTMLElement; what: string; col: Column }[] = [];

  constructor(
    private readonly data: PanelData,
    private readonly events: ClassTableEvents,
  ) {
    this.run = data.kind === 'run';
    this.scale = priorScale(data.classes);
    this.positionOf = new Int32Array(data.classes.length).fill(-1);
    // Every header names its unit, and its tooltip says how the number is made.
    this.columns = [
      { label: 'Class', description: 'class folder name, then the prompt CLIP read (in quotes) where it differs', className: 'c-name', sort: 'name' },
      { label: 'q', description: "q: CLIP's pre-training prior of the class, a probability from 0 to 1 (uniform is 1/C)", className: 'c-num c-q', sort: 'q' },
      { label: 'Bias (nats)', description: 'bias in nats: log(C·q), above (+) or below (−) the uniform prior 1/C', className: 'c-num c-bias', sort: 'bias' },
      {
        label: 'q, log scale',
        description: 'q on a log scale (ticks are probabilities); the bar runs from the uniform prior 1/C (dashed) to q, its length is the bias in nats',
        className: 'c-chart c-prior',
        sort: 'bias',
        axis: () => axis(this.scale.ticks),
      },
    ];
    if (this.run) {
      this.columns.push(
        {
          label: 'Recall (%): zero-shot → GLA',
          description: `recall in percent on the evaluation split, top to bottom: ${data.models.map((k) => data.modelLabels[k]).join(', ')}`,
          className: 'c-chart c-recall',
          sort: 'gain',
          axis: () => axis(RECALL_TICKS),
        },
        { label: 'Gain (pts)', description: 'gain in percentage points: GLA recall − zero-shot recall', className: 'c-num c-gain', sort: 'gain' },
        { label: 'P (%)', description: '', className: 'c-num c-precision', sort: 'precision' },
        { label: 'R (%)', description: '', className: 'c-num c-recall-n', sort: 'recall' },
        { label: 'F1 (%)', description: '', className: 'c-num c-f1', sort: 'f1' },
        { label: 'Images', description: 'labelled images, a count: train + val + test', className: 'c-num c-support', sort: 'support' },
        { label: 'Label issues', description: 'suspected mislabelled images given this class, a count', className: 'c-num c-issues' },
      );
    }
    this.element = h('div', { class: `grid ${this.run ? 'grid-run' : 'grid-profile'}`, role: 'grid', 'aria-label': 'Classes', 'aria-colcount': this.columns.length });
    this.header = h('div', { class: 'row header', role: 'row', 'aria-rowindex': 1 });
    this.columns.forEach((col, i) => this.header.append(this.headerCell(col, i)));
    this.body = h('div', { class: 'rows', role: 'rowgroup' });
    this.element.append(h('div', { class: 'head', role: 'rowgroup' }, this.header), this.body);
    this.body.addEventListener('keydown', (e) => this.onKey(e));
    // Focus that arrives some other way (a click, a screen reader) makes that row the active one.
    this.body.addEventListener('focusin', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('[data-index]');
      const index = row ? Number(row.dataset.index) : -1;
      if (index >= 0 && index !== this.active) {
        this.active = index;
        this.render();
      }
    });
    this.body.addEventListener('click', (e) => {
      const row = (e.target as Element).closest<HTMLElement>('[data-index]');
      if (!row) return;
      const index = Number(row.dataset.index);
      this.setActive(index, true);
      this.events.activate(index);
    });
    const later = () => this.schedule();
    window.addEventListener('scroll', later, { passive: true });
    window.addEventListener('resize', later);
  }

  /** Rows under the sticky header (and the toolbar above it) count as off screen. */
  private stickyTop(): number {
    return Math.max(0, this.header.getBoundingClientRect().bottom);
  }

  get rowsInDom(): number {
    return this.shown.size;
  }

  get activeIndex(): number {
    return this.active;
  }

  /** What the P, R and F1 headers say, for the model now picked. */
  private static scoreDescription(className: string, model: string): string {
    if (className.includes('c-precision')) return `precision in percent under ${model} on the evaluation split: of the images it predicts as the class, the share labelled so`;
    if (className.includes('c-recall-n')) return `recall in percent under ${model} on the evaluation split: of the class's images, the share it predicts right`;
    return `F1 in percent under ${model}: the harmonic mean of its precision and recall (0 when it gets none right)`;
  }

  private headerCell(col: Column, i: number): HTMLElement {
    if (col.sort === 'precision' || col.sort === 'recall' || col.sort === 'f1') col.description = ClassTable.scoreDescription(col.className, this.data.modelLabels[this.model]);
    const cell = h('div', { class: `cell ${col.className}`, role: 'columnheader', 'aria-colindex': i + 1, title: col.description });
    const label = col.sort
      ? h('button', { class: 'sort', type: 'button', 'aria-label': `${col.label}: ${col.description}. Sort by it.` }, h('span', { class: 'label' }, col.label), h('span', { class: 'arrow', 'aria-hidden': 'true' }))
      : h('span', { class: 'label', 'aria-label': `${col.label}: ${col.description}` }, col.label);
    if (col.sort) {
      const key = col.sort;
      label.addEventListener('click', () => this.events.sort(key));
      this.headerCells.set(key, [...(this.headerCells.get(key) ?? []), cell]);
    }
    cell.append(label);
    if (col.axis) cell.append(col.axis());
    if (col.sort === 'precision' || col.sort === 'recall' || col.sort === 'f1') this.scoreHeaders.push({ cell, what: col.label, col });
    return cell;
  }

  /** The model whose precision, recall and F1 the rows show: headers say it, every shown row is redrawn. */
  setModel(model: ModelKind): void {
    if (model === this.model) return;
    this.model = model;
    const label = this.data.modelLabels[model];
    for (const { cell, what, col } of this.scoreHeaders) {
      const description = ClassTable.scoreDescription(col.className, label);
      cell.title = description;
      cell.querySelector('button')?.setAttribute('aria-label', `${what}: ${description}. Sort by it.`);
    }
    for (const [index, row] of this.shown) row.update(this.data.classes[index], this.positionOf[index]);
  }

  /** Shows the sort on the headers (aria-sort and an arrow). */
  showSort(view: ViewState): void {
    for (const [key, cells] of this.headerCells) {
      for (const cell of cells) {
        const on = key === view.sort;
        cell.setAttribute('aria-sort', on ? view.direction : 'none');
        cell.classList.toggle('sorted', on);
        const arrow = cell.querySelector('.arrow');
        if (arrow) arrow.textContent = on ? (view.direction === 'ascending' ? '▲' : '▼') : '';
      }
    }
  }

  /** The classes to show, in order (indices into data.classes). */
  setOrder(order: number[]): void {
    this.order = order;
    this.positionOf.fill(-1);
    order.forEach((index, position) => (this.positionOf[index] = position));
    this.element.setAttribute('aria-rowcount', String(order.length + 1));
    this.body.style.height = `${order.length * ROW_HEIGHT}px`;
    if (this.active < 0 || this.positionOf[this.active] < 0) this.active = order[0] ?? -1;
    for (const [index, row] of this.shown) {
      this.shown.delete(index);
      this.recycle(row);
    }
    this.render();
  }

  private schedule(): void {
    if (!this.scheduled) this.scheduled = requestAnimationFrame(() => ((this.scheduled = 0), this.render()));
  }

  /** Puts the rows on screen in the DOM and takes the others out. */
  render(): void {
    const n = this.order.length;
    const top = this.body.getBoundingClientRect().top;
    const from = Math.max(0, Math.floor((this.stickyTop() - top) / ROW_HEIGHT) - OVERSCAN);
    const to = Math.min(n - 1, Math.ceil((window.innerHeight - top) / ROW_HEIGHT) + OVERSCAN);
    const wanted = new Set<number>();
    for (let p = from; p <= to; p++) wanted.add(this.order[p]);
    // The focused row stays, even off screen, so the keyboard focus is never dropped.
    if (this.active >= 0 && this.positionOf[this.active] >= 0 && this.shown.get(this.active)?.element === document.activeElement) wanted.add(this.active);
    for (const [index, row] of this.shown) {
      if (!wanted.has(index)) {
        this.shown.delete(index);
        this.recycle(row);
      }
    }
    const fresh: HTMLElement[] = [];
    for (const index of wanted) {
      if (this.shown.has(index)) continue;
      const row = this.pool.pop() ?? this.createRow();
      row.update(this.data.classes[index], this.positionOf[index]);
      row.element.dataset.index = String(index);
      this.shown.set(index, row);
      fresh.push(row.element);
    }
    if (fresh.length) this.body.append(...fresh);
    for (const [index, row] of this.shown) {
      const on = index === this.active;
      row.element.tabIndex = on ? 0 : -1;
      row.element.classList.toggle('active', on);
      row.element.setAttribute('aria-selected', String(on));
    }
  }

  private recycle(row: RowView): void {
    row.element.remove();
    this.pool.push(row);
  }

  private createRow(): RowView {
    const element = h('div', { class: 'row', role: 'row', tabindex: -1 });
    const cell = (cls: string, i: number) => h('div', { class: `cell ${cls}`, role: 'gridcell', 'aria-colindex': i + 1 });
    const cells = this.columns.map((c, i) => cell(c.className, i));
    const name = h('span', { class: 'name' });
    const prompt = h('span', { class: 'prompt' });
    const group = h('span', { class: 'group' });
    // Name and prompt share one box in which only the prompt shrinks: the name is cut only once the prompt is gone.
    cells[0].append(h('span', { class: 'strong-mark', 'aria-hidden': 'true' }), h('span', { class: 'names' }, name, prompt), group);
    const priorChart = new PriorChart(this.scale);
    cells[3].append(priorChart.svg);
    const recallChart = this.run ? new RecallChart(this.data.models) : undefined;
    if (recallChart) cells[4].append(recallChart.svg);
    element.append(...cells);
    const update = (c: PanelClass, position: number) => {
      element.style.top = `${position * ROW_HEIGHT}px`;
      element.setAttribute('aria-rowindex', String(position + 2));
      const description = describeClass(c, this.data, this.model);
      element.setAttribute('aria-label', description);
      element.title = description;
      element.classList.toggle('strong', c.finding === 'biased-against');
      element.classList.toggle('prompt-miss', c.finding === 'prompt-miss');
      name.textContent = c.name;
      prompt.textContent = c.prompt ? `“${c.prompt}”` : '';
      group.textContent = c.group ?? '';
      group.dataset.group = c.group ?? '';
      cells[1].textContent = prior(c.prior);
      cells[2].textContent = nats(c.bias);
      cells[2].dataset.tone = c.bias !== null && c.bias <= -1 ? 'strong' : '';
      priorChart.update(c);
      if (recallChart) {
        recallChart.update(c);
        const gain = recallGain(c);
        cells[5].textContent = points(gain);
        cells[5].dataset.tone = gain === null ? '' : gain > 1e-9 ? 'up' : gain < -1e-9 ? 'down' : '';
        const scores = classScores(c, this.model);
        cells[6].textContent = percent(scores.precision);
        cells[7].textContent = percent(scores.recall);
        cells[8].textContent = percent(scores.f1);
        const support = totalSupport(c);
        cells[9].textContent = support === null ? NA : count(support);
        cells[10].textContent = c.labelIssues ? String(c.labelIssues) : '';
      }
    };
    return { element, update };
  }

  private onKey(e: KeyboardEvent): void {
    const position = this.positionOf[this.active] ?? -1;
    if (position < 0) return;
    const page = Math.max(1, Math.floor((window.innerHeight - this.stickyTop()) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity };
    if (e.key in moves) {
      e.preventDefault();
      const to = Math.max(0, Math.min(this.order.length - 1, position + moves[e.key]));
      this.setActive(this.order[to], true);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.events.activate(this.active);
    }
  }

  /** Makes a class the active row; with focus, scrolls it into view and focuses it. */
  setActive(index: number, focus: boolean): void {
    const position = this.positionOf[index];
    if (position < 0) return;
    this.active = index;
    if (focus) {
      const top = this.body.getBoundingClientRect().top + position * ROW_HEIGHT;
      const sticky = this.stickyTop();
      if (top < sticky) window.scrollBy(0, top - sticky);
      else if (top + ROW_HEIGHT > window.innerHeight) window.scrollBy(0, top + ROW_HEIGHT - window.innerHeight);
    }
    this.render();
    if (focus) this.shown.get(index)?.element.focus({ preventScroll: true });
  }
}

/** The row's spoken label and hover: "recall zero-shot 20%, debiased 70%, fine-tuned (probe) 85%, naive ensemble 88%, GLA 90%". */
function describeClass(c: PanelClass, data: PanelData, model: ModelKind): string {
  const run = data.kind === 'run';
  const parts = [`${c.name}${c.prompt ? ` (“${c.prompt}”)` : ''}`, `q ${prior(c.prior)}`, `bias ${nats(c.bias)} nats`];
  if (c.group) parts.push(c.group);
  if (run) {
    const r = c.recall;
    parts.push(`recall ${data.models.map((k) => `${data.modelLabels[k]} ${percent(r?.[k])}`).join(', ')}`);
    const scores = classScores(c, model);
    parts.push(`under ${data.modelLabels[model]}: precision ${percent(scores.precision)}, recall ${percent(scores.recall)}, F1 ${percent(scores.f1)}`);
    const support = totalSupport(c);
    parts.push(`${support === null ? NA : count(support)} images`);
    if (c.labelIssues) parts.push(`${c.labelIssues} suspected label ${c.labelIssues === 1 ? 'error' : 'errors'}`);
  }
  if (c.finding === 'biased-against') parts.push('CLIP is strongly biased against it');
  if (c.finding === 'prompt-miss') parts.push('CLIP\'s prompts miss it (zero-shot recall at least 0.20 below GLA\'s)');
  return parts.join('; ');
}
