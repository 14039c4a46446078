// The confusion matrix of one model on the evaluation split, drawn on a canvas: rows are the given class, columns the
// prediction, each cell shaded by its share of the row's images. Up to FULL_LIMIT classes it is drawn whole; beyond,
// the canvas shows only the window scrolled to (the counts stay whole), so 1000 classes cost what 40 do. One tab
// stop: arrows, Page Up/Down and Home/End move the active cell, Enter or a click shows its images.
import { h } from './dom';

/** Classes up to which every cell is drawn at once. */
export const FULL_LIMIT = 100;
/** A cell's side in the scrolled (virtualised) matrix, in CSS pixels. */
const SCROLLED_CELL = 14;
const MAX_CELL = 40;
const MIN_CELL = 4;
/** Class names are drawn beside the matrix once cells are this tall. */
const LABEL_CELL = 14;
const LABEL_MARGIN = 120;

export interface MatrixEvents {
  /** Enter, Space or a click on a cell: show its images. */
  pick(actual: number, predicted: number): void;
}

export interface MatrixInput {
  names: readonly string[];
  counts: Int32Array;
  /** What the readout calls the model, e.g. "GLA". */
  model: string;
}

export class ConfusionMatrix {
  readonly element: HTMLElement;
  private readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLElement;
  private input?: MatrixInput;
  private rowTotals = new Int32Array(0);
  private colTotals = new Int32Array(0);
  private cell = MAX_CELL;
  private margin = 0;
  private scrolled = false;
  private active = { actual: 0, predicted: 0 };
  private frame = 0;
  /** Cells drawn in the last frame (the paint-time figure reports it). */
  cellsDrawn = 0;

  constructor(private readonly events: MatrixEvents) {
    this.canvas = h('canvas', { class: 'matrix-canvas', 'aria-hidden': 'true' });
    this.spacer = h('div', { class: 'matrix-spacer' });
    this.readout = h('p', { class: 'matrix-readout', id: 'matrix-readout', 'aria-live': 'polite' });
    this.scroller = h(
      'div',
      { class: 'matrix-scroller', tabindex: 0, role: 'application', 'aria-roledescription': 'confusion matrix', 'aria-describedby': 'matrix-readout' },
      this.spacer,
      this.canvas,
    );
    this.element = h('div', { class: 'matrix' }, this.scroller, this.readout);
    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.scroller.addEventListener('keydown', (e) => this.onKey(e));
    this.scroller.addEventListener('click', (e) => {
      const at = this.cellAt(e);
      if (!at) return;
      this.setActive(at.actual, at.predicted, false);
      this.scroller.focus({ preventScroll: true });
      this.events.pick(at.actual, at.predicted);
    });
    this.scroller.addEventListener('mousemove', (e) => {
      const at = this.cellAt(e);
      if (at) this.describe(at.actual, at.predicted);
    });
    this.scroller.addEventListener('mouseleave', () => this.describe(this.active.actual, this.active.predicted));
    this.scroller.addEventListener('focus', () => this.draw());
    this.scroller.addEventListener('blur', () => this.draw());
    new ResizeObserver(() => this.layout()).observe(this.element);
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.draw());
  }

  /** New counts (another model, or the data arriving); keeps the active cell. */
  set(input: MatrixInput): void {
    this.input = input;
    const c = input.names.length;
    this.rowTotals = new Int32Array(c);
    this.colTotals = new Int32Array(c);
    for (let y = 0; y < c; y++) {
      for (let p = 0; p < c; p++) {
        const n = input.counts[y * c + p];
        this.rowTotals[y] += n;
        this.colTotals[p] += n;
      }
    }
    this.active = { actual: Math.min(this.active.actual, c - 1), predicted: Math.min(this.active.predicted, c - 1) };
    this.scroller.setAttribute('aria-label', `Confusion matrix of ${input.model}, ${c} classes: rows are the given class, columns the prediction. Arrow keys move, Enter shows the images.`);
    this.layout();
    this.describe(this.active.actual, this.active.predicted);
  }

  private get classes(): number {
    return this.input?.names.length ?? 0;
  }

  /** Sizes the cells to the width there is, and the scroller to the matrix (or to a window of it). */
  private layout(): void {
    const c = this.classes;
    if (!c) return;
    const width = Math.max(160, this.element.clientWidth || 480);
    this.scrolled = c > FULL_LIMIT;
    if (this.scrolled) {
      this.cell = SCROLLED_CELL;
      this.margin = 0;
    } else {
      const labelled = Math.floor((Math.min(width, 640) - LABEL_MARGIN) / c) >= LABEL_CELL;
      this.margin = labelled ? LABEL_MARGIN : 0;
      this.cell = Math.max(MIN_CELL, Math.min(MAX_CELL, Math.floor((Math.min(width, 640) - this.margin) / c)));
    }
    const full = this.margin + c * this.cell;
    const side = this.scrolled ? Math.min(full, Math.max(160, Math.min(width, 520))) : full;
    this.scroller.style.width = `${side}px`;
    this.scroller.style.height = `${side}px`;
    this.spacer.style.width = `${full}px`;
    this.spacer.style.height = `${full}px`;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(side * ratio);
    this.canvas.height = Math.round(side * ratio);
    this.canvas.style.width = `${side}px`;
    this.canvas.style.height = `${side}px`;
    this.draw();
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.draw()));
  }

  /** Draws the cells in view (all of them when the matrix fits) and the active cell's outline. */
  draw(): void {
    const input = this.input;
    const c = this.classes;
    const ctx = this.canvas.getContext('2d');
    if (!input || !ctx) return;
    const ratio = window.devicePixelRatio || 1;
    const side = this.canvas.width / ratio;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, side, side);
    const style = getComputedStyle(document.body);
    const color = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    const hit = color('--vscode-charts-green', '#388a34');
    const miss = color('--vscode-charts-red', '#e51400');
    const empty = color('--vscode-panel-border', 'rgba(128,128,128,0.35)');
    const text = color('--vscode-foreground', '#333');
    const focus = color('--vscode-focusBorder', '#0078d4');
    const { cell, margin } = this;
    const left = this.scroller.scrollLeft;
    const top = this.scroller.scrollTop;
    const first = { x: Math.max(0, Math.floor((left - margin) / cell)), y: Math.max(0, Math.floor((top - margin) / cell)) };
    const last = { x: Math.min(c - 1, Math.ceil((left + side - margin) / cell)), y: Math.min(c - 1, Math.ceil((top + side - margin) / cell)) };
    // The canvas is the scroller's window: it moves with the scroll, and draws what lies under it.
    this.canvas.style.transform = `translate(${left}px, ${top}px)`;
    const x0 = margin - left;
    const y0 = margin - top;
    let drawn = 0;
    const showCounts = cell >= 22;
    ctx.font = `${Math.min(12, cell - 8)}px ${style.getPropertyValue('--vscode-font-family') || 'sans-serif'}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let y = first.y; y <= last.y; y++) {
      const total = this.rowTotals[y];
      for (let x = first.x; x <= last.x; x++) {
        const px = x0 + x * cell;
        const py = y0 + y * cell;
        drawn++;
        if (total === 0) {
          // A class with no evaluated image: its row is hatched grey, never a share of nothing.
          ctx.globalAlpha = 0.25;
          ctx.fillStyle = empty;
          ctx.fillRect(px, py, cell - 1, cell - 1);
          continue;
        }
        const n = input.counts[y * c + x];
        ctx.globalAlpha = n === 0 ? 0.06 : 0.18 + 0.82 * (n / total);
        ctx.fillStyle = n === 0 ? empty : x === y ? hit : miss;
        ctx.fillRect(px, py, cell - 1, cell - 1);
        if (showCounts && n > 0) {
          ctx.globalAlpha = 1;
          ctx.fillStyle = text;
          ctx.fillText(String(n), px + cell / 2, py + cell / 2);
        }
      }
    }
    ctx.globalAlpha = 1;
    if (margin) this.drawLabels(ctx, input.names, text, x0, y0, first, last);
    const a = this.active;
    ctx.strokeStyle = focus;
    ctx.lineWidth = document.activeElement === this.scroller ? 2 : 1;
    ctx.strokeRect(x0 + a.predicted * cell + 0.5, y0 + a.actual * cell + 0.5, cell - 2, cell - 2);
    this.cellsDrawn = drawn;
  }

  /** Given classes down the left, predictions across the top (slanted), each cut to the margin. */
  private drawLabels(ctx: CanvasRenderingContext2D, names: readonly string[], color: string, x0: number, y0: number, first: { x: number; y: number }, last: { x: number; y: number }): void {
    const { cell, margin } = this;
    ctx.fillStyle = color;
    ctx.textBaseline = 'middle';
    ctx.font = `${Math.min(12, cell - 2)}px ${getComputedStyle(document.body).getPropertyValue('--vscode-font-family') || 'sans-serif'}`;
    const fit = (name: string, width: number) => {
      if (ctx.measureText(name).width <= width) return name;
      let cut = name;
      while (cut.length > 1 && ctx.measureText(`${cut}…`).width > width) cut = cut.slice(0, -1);
      return `${cut}…`;
    };
    ctx.textAlign = 'right';
    for (let y = first.y; y <= last.y; y++) ctx.fillText(fit(names[y], margin - 8), margin - 6, y0 + y * cell + cell / 2);
    ctx.textAlign = 'left';
    for (let x = first.x; x <= last.x; x++) {
      ctx.save();
      ctx.translate(x0 + x * cell + cell / 2, margin - 6);
      ctx.rotate(-Math.PI / 4);
      ctx.fillText(fit(names[x], (margin - 8) * Math.SQRT2), 0, 0);
      ctx.restore();
    }
  }

  private cellAt(e: MouseEvent): { actual: number; predicted: number } | undefined {
    const box = this.scroller.getBoundingClientRect();
    const x = Math.floor((e.clientX - box.left + this.scroller.scrollLeft - this.margin) / this.cell);
    const y = Math.floor((e.clientY - box.top + this.scroller.scrollTop - this.margin) / this.cell);
    return x >= 0 && y >= 0 && x < this.classes && y < this.classes ? { actual: y, predicted: x } : undefined;
  }

  /** The readout under the matrix (and what a screen reader hears): names, count and share of the row. */
  private describe(actual: number, predicted: number): void {
    const input = this.input;
    if (!input) return;
    const c = this.classes;
    const n = input.counts[actual * c + predicted];
    const total = this.rowTotals[actual];
    const images = `${n.toLocaleString('en-US')} ${n === 1 ? 'image' : 'images'}`;
    const share = total > 0 ? ` (${((100 * n) / total).toFixed(0)}% of the ${total.toLocaleString('en-US')} given '${input.names[actual]}')` : ` ('${input.names[actual]}' has no evaluated image)`;
    const never = this.colTotals[predicted] === 0 ? `; ${input.model} never predicts '${input.names[predicted]}'` : '';
    this.readout.textContent = `Given '${input.names[actual]}', ${input.model} predicts '${input.names[predicted]}': ${images}${share}${never}.`;
  }

  /** Makes a cell the active one and scrolls it into view. */
  setActive(actual: number, predicted: number, scroll = true): void {
    const c = this.classes;
    if (!c) return;
    this.active = { actual: Math.max(0, Math.min(c - 1, actual)), predicted: Math.max(0, Math.min(c - 1, predicted)) };
    if (scroll) {
      const { cell, margin } = this;
      const side = this.scroller.clientWidth;
      const x = margin + this.active.predicted * cell;
      const y = margin + this.active.actual * cell;
      if (x < this.scroller.scrollLeft + margin) this.scroller.scrollLeft = x - margin;
      else if (x + cell > this.scroller.scrollLeft + side) this.scroller.scrollLeft = x + cell - side;
      if (y < this.scroller.scrollTop + margin) this.scroller.scrollTop = y - margin;
      else if (y + cell > this.scroller.scrollTop + side) this.scroller.scrollTop = y + cell - side;
    }
    this.describe(this.active.actual, this.active.predicted);
    this.draw();
  }

  get activeCell(): { actual: number; predicted: number } {
    return { ...this.active };
  }

  focus(): void {
    this.scroller.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const page = 10;
    const a = this.active;
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      PageUp: [-page, 0],
      PageDown: [page, 0],
      Home: [0, -Infinity],
      End: [0, Infinity],
    };
    if (e.key in moves) {
      e.preventDefault();
      const [dy, dx] = moves[e.key];
      this.setActive(a.actual + dy, a.predicted + dx);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.events.pick(a.actual, a.predicted);
    }
  }
}
