// The panel's evaluation workbench: one model at a time (picked here or in the class table's toolbar), its confusion
// matrix on the evaluation split with the pairs it confuses most, and a grid of images — a class's, on a split the
// user picks, or one matrix cell's. Its data (every image's predictions) arrives after the first paint.
import type { EvaluationData, ImageSource, ModelKind, PanelData } from '../../client/src/bias-panel-api';
import { confusionCounts, topConfusions } from '../../client/src/confusion';
import { ConfusionMatrix } from './confusion-matrix';
import { h } from './dom';
import { ImageGrid, type GridImage } from './image-grid';

const SPLITS = ['train', 'val', 'test', 'none'] as const;
const TOP_CONFUSIONS = 20;

/** Which images the grid shows. */
type GridFilter = { kind: 'class'; index: number; split: 'all' | (typeof SPLITS)[number] } | { kind: 'cell'; actual: number; predicted: number };

export interface EvaluationEvents {
  /** The model was picked here: the page keeps every view on it. */
  model(model: ModelKind): void;
  open(path: string): void;
  sources(rows: number[]): Promise<ImageSource[]>;
}

export class EvaluationSection {
  readonly element: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly matrix: ConfusionMatrix;
  private readonly pairs: HTMLOListElement;
  private readonly grid: ImageGrid;
  private readonly gridTitle: HTMLElement;
  private readonly classSelect: HTMLSelectElement;
  private readonly splitSelect: HTMLSelectElement;
  private readonly clearCell: HTMLButtonElement;
  private readonly note: HTMLElement;
  private evaluation?: EvaluationData;
  private counts: Int32Array = new Int32Array(0);
  private model: ModelKind;
  private filter: GridFilter = { kind: 'class', index: 0, split: 'test' };

  constructor(
    private readonly data: PanelData,
    model: ModelKind,
    private readonly events: EvaluationEvents,
  ) {
    this.model = model;
    this.select = modelSelect(data, model, 'Model for the confusion matrix, the image grid and the table’s P, R and F1');
    this.select.addEventListener('change', () => this.events.model(this.select.value as ModelKind));
    this.matrix = new ConfusionMatrix({ pick: (actual, predicted) => this.showCell(actual, predicted) });
    this.pairs = h('ol', { class: 'pairs top-confusions', 'aria-label': 'Most confused pairs' });
    this.note = h('p', { class: 'matrix-note' });
    this.gridTitle = h('h3', { class: 'grid-title' });
    this.classSelect = h('select', { 'aria-label': 'Class whose images the grid shows' });
    data.classes.forEach((c, i) => this.classSelect.append(h('option', { value: i }, c.name)));
    this.classSelect.addEventListener('change', () => this.showClass(Number(this.classSelect.value)));
    this.splitSelect = h('select', { 'aria-label': 'Split whose images the grid shows' });
    for (const s of ['test', 'val', 'train', 'all'] as const) this.splitSelect.append(h('option', { value: s }, s === 'all' ? 'all splits' : s));
    this.splitSelect.addEventListener('change', () => {
      if (this.filter.kind === 'class') this.showGrid({ ...this.filter, split: this.splitSelect.value as 'all' });
    });
    this.clearCell = h('button', { type: 'button', class: 'link', hidden: true }, 'Back to the class');
    this.clearCell.addEventListener('click', () => this.showClass(this.filter.kind === 'cell' ? this.filter.actual : 0));
    this.grid = new ImageGrid({ open: (path) => this.events.open(path), sources: (rows) => this.events.sources(rows) });
    this.element = h(
      'section',
      { class: 'evaluation', 'aria-labelledby': 'evaluation-title', 'aria-busy': 'true' },
      h('div', { class: 'evaluation-head' }, h('h2', { id: 'evaluation-title' }, `Confusion on ${data.images.evaluatedOn}`), h('label', { class: 'model-pick' }, 'Model ', this.select)),
      h('p', { class: 'empty loading' }, 'Loading every image’s predictions…'),
    );
  }

  /** The predictions arrived (null: the run has no readable predictions.csv). Returns the cells drawn. */
  /** The confidences came (after the matrix's paint): the grid shows them. */
  setConfidence(confidence: EvaluationData['confidence']): void {
    if (!this.evaluation) return;
    this.evaluation.confidence = confidence;
    this.showGrid(this.filter);
  }

  setEvaluation(evaluation: EvaluationData | null): number {
    this.element.removeAttribute('aria-busy');
    this.element.querySelector('.loading')?.remove();
    if (!evaluation || !evaluation.models.length) {
      this.element.append(h('p', { class: 'empty' }, 'Not available: the run folder has no readable predictions.csv.'));
      return 0;
    }
    this.evaluation = evaluation;
    if (!evaluation.models.includes(this.model)) this.model = evaluation.models[evaluation.models.length - 1];
    this.select.value = this.model;
    for (const option of this.select.options) option.disabled = !evaluation.models.includes(option.value as ModelKind);
    const top = h('div', { class: 'evaluation-top' }, h('div', { class: 'matrix-box' }, this.matrix.element, this.note), h('div', { class: 'pairs-box' }, h('h3', {}, 'Most confused pairs'), this.pairs));
    const gridHead = h('div', { class: 'grid-head' }, this.gridTitle, h('label', {}, 'Class ', this.classSelect), h('label', {}, 'Split ', this.splitSelect), this.clearCell);
    this.element.append(top, h('div', { class: 'grid-section', role: 'region', 'aria-label': 'Images' }, gridHead, this.grid.element));
    if (evaluation.unknownNames) this.note.append(h('span', {}, ` ${evaluation.unknownNames} names in predictions.csv are not classes of the report; those cells are left out.`));
    // The first class the grid shows: the weakest under the model, where there is most to look at.
    this.redraw();
    this.showClass(this.weakestClass());
    return this.matrix.cellsDrawn;
  }

  /** Shows another model everywhere in the section; keeps which class or cell the grid shows. */
  setModel(model: ModelKind): void {
    if (model === this.model && this.counts.length) return;
    this.model = model;
    this.select.value = model;
    if (!this.evaluation) return;
    this.redraw();
    this.showGrid(this.filter);
  }

  /** A class picked elsewhere (a row of the table): the grid shows its images. */
  showClass(index: number): void {
    if (!this.evaluation || index < 0 || index >= this.data.classes.length) return;
    this.showGrid({ kind: 'class', index, split: this.filter.kind === 'class' ? this.filter.split : 'test' });
  }

  get activeCell(): { actual: number; predicted: number } {
    return this.matrix.activeCell;
  }

  get tilesInDom(): number {
    return this.grid.tilesInDom;
  }

  private label(): string {
    return this.data.modelLabels[this.model];
  }

  private redraw(): void {
    const evaluation = this.evaluation!;
    const C = this.data.classes.length;
    const names = this.data.classes.map((c) => c.name);
    this.counts = confusionCounts(evaluation, this.model, C);
    this.matrix.set({ names, counts: this.counts, model: this.label() });
    const unsupported = names.filter((_, y) => !rowHas(this.counts, C, y)).length;
    const neverPredicted = names.filter((_, p) => !columnHas(this.counts, C, p)).length;
    this.note.replaceChildren(
      h('span', {}, `Rows: given class; columns: ${this.label()}'s prediction; shade: share of the row. `),
      h('span', {}, [unsupported ? `${unsupported} ${unsupported === 1 ? 'class has' : 'classes have'} no evaluated image (grey rows)` : '', neverPredicted ? `${neverPredicted} ${neverPredicted === 1 ? 'class is' : 'classes are'} never predicted` : ''].filter(Boolean).join('; ')),
    );
    const pairs = topConfusions(this.counts, C, TOP_CONFUSIONS);
    const most = pairs[0]?.count ?? 1;
    this.pairs.replaceChildren(
      ...(pairs.length
        ? pairs.map((p) => {
            const fill = h('span', { class: 'fill' });
            fill.style.width = `${(p.count / most) * 100}%`;
            const button = h(
              'button',
              { type: 'button', class: 'pair-button', 'aria-label': `${names[p.actual]} taken for ${names[p.predicted]} by ${this.label()}: ${p.count} ${p.count === 1 ? 'image' : 'images'}. Show them.` },
              h('span', { class: 'pair', 'aria-hidden': 'true' }, h('span', { class: 'name' }, names[p.actual]), h('span', { class: 'arrow' }, ' → '), h('span', { class: 'name' }, names[p.predicted])),
              h('span', { class: 'track', 'aria-hidden': 'true' }, fill),
              h('span', { class: 'value', 'aria-hidden': 'true' }, String(p.count)),
            );
            button.addEventListener('click', () => {
              this.matrix.setActive(p.actual, p.predicted);
              this.showCell(p.actual, p.predicted);
            });
            return h('li', {}, button);
          })
        : [h('li', { class: 'empty' }, `${this.label()} confuses no pair on ${this.data.images.evaluatedOn}.`)]),
    );
  }

  private weakestClass(): number {
    let best = 0;
    let worst = Infinity;
    this.data.classes.forEach((c, i) => {
      const r = c.recall?.[this.model];
      if (r !== null && r !== undefined && r < worst) {
        worst = r;
        best = i;
      }
    });
    return best;
  }

  private showCell(actual: number, predicted: number): void {
    this.showGrid({ kind: 'cell', actual, predicted });
  }

  private showGrid(filter: GridFilter): void {
    const evaluation = this.evaluation;
    if (!evaluation) return;
    this.filter = filter;
    const names = this.data.classes.map((c) => c.name);
    const predicted = evaluation.predicted[this.model] ?? new Int32Array(evaluation.images).fill(-1);
    const confidence = evaluation.confidence[this.model] ?? new Float32Array(evaluation.images).fill(NaN);
    const sure = (r: number) => (Number.isNaN(confidence[r]) ? null : confidence[r]);
    const rows: number[] = [];
    for (let r = 0; r < evaluation.images; r++) {
      if (filter.kind === 'cell') {
        if (evaluation.evaluated[r] && evaluation.given[r] === filter.actual && predicted[r] === filter.predicted) rows.push(r);
      } else if (evaluation.given[r] === filter.index && (filter.split === 'all' || SPLITS[evaluation.split[r]] === filter.split)) {
        rows.push(r);
      }
    }
    // Wrong predictions first, the most confident first: the ones most worth a look.
    const wrong = (r: number) => (predicted[r] >= 0 && predicted[r] !== evaluation.given[r] ? 1 : 0);
    rows.sort((a, b) => wrong(b) - wrong(a) || (sure(b) ?? -1) - (sure(a) ?? -1) || a - b);
    const images: GridImage[] = rows.map((r) => ({
      row: r,
      given: names[evaluation.given[r]] ?? '?',
      predicted: predicted[r] >= 0 ? names[predicted[r]] : null,
      confidence: sure(r),
    }));
    const wrongCount = rows.filter((r) => wrong(r)).length;
    this.clearCell.hidden = filter.kind !== 'cell';
    this.splitSelect.disabled = filter.kind === 'cell';
    if (filter.kind === 'class') {
      this.classSelect.value = String(filter.index);
      this.splitSelect.value = filter.split;
      const where = filter.split === 'all' ? 'all splits' : filter.split;
      this.gridTitle.textContent = `${names[filter.index]} on ${where}: ${rows.length} ${rows.length === 1 ? 'image' : 'images'}, ${wrongCount} wrong under ${this.label()}`;
      this.grid.show(images, this.label(), `'${names[filter.index]}' has no images on ${where}.`);
    } else {
      this.classSelect.value = String(filter.actual);
      const n = rows.length;
      this.gridTitle.textContent =
        filter.actual === filter.predicted
          ? `${names[filter.actual]} predicted right by ${this.label()}: ${n} ${n === 1 ? 'image' : 'images'} on ${this.data.images.evaluatedOn}`
          : `${names[filter.actual]} taken for ${names[filter.predicted]} by ${this.label()}: ${n} ${n === 1 ? 'image' : 'images'} on ${this.data.images.evaluatedOn}`;
      this.grid.show(images, this.label(), `No image given '${names[filter.actual]}' is predicted '${names[filter.predicted]}'.`);
    }
  }
}

function rowHas(counts: Int32Array, C: number, y: number): boolean {
  for (let p = 0; p < C; p++) if (counts[y * C + p]) return true;
  return false;
}

function columnHas(counts: Int32Array, C: number, p: number): boolean {
  for (let y = 0; y < C; y++) if (counts[y * C + p]) return true;
  return false;
}

/** A <select> of the run's models, by their panel names. */
export function modelSelect(data: PanelData, model: ModelKind, aria: string): HTMLSelectElement {
  const select = h('select', { 'aria-label': aria });
  for (const k of data.models) select.append(h('option', { value: k }, data.modelLabels[k]));
  select.value = model;
  return select;
}
