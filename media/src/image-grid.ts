// A class's images (or one confusion cell's) as a grid of thumbnails, each with its given label, the selected model's
// prediction and confidence, marked right or wrong. Virtualised: only the rows of tiles in view are in the DOM, so a
// class of 1000 images scrolls as one of 10 does. Thumbnail URIs come from the extension (asWebviewUri inside the
// dataset) as tiles appear. One tab stop: arrows, Page Up/Down, Home/End move; Enter opens the image.
import type { ImageSource } from '../../client/src/bias-panel-api';
import { h } from './dom';
import { percent } from './format';

const TILE_WIDTH = 112;
const TILE_HEIGHT = 124;
const GAP = 8;
const OVERSCAN_ROWS = 2;

export interface GridImage {
  /** Row of the evaluation data. */
  row: number;
  given: string;
  predicted: string | null;
  confidence: number | null;
}

export interface ImageGridEvents {
  open(path: string): void;
  /** These rows' paths and webview URIs (src null: outside the dataset). */
  sources(rows: number[]): Promise<ImageSource[]>;
}

interface Tile {
  element: HTMLDivElement;
  button: HTMLButtonElement;
  picture: HTMLImageElement;
  caption: HTMLElement;
  confidence: HTMLElement;
  row: number;
}

export class ImageGrid {
  readonly element: HTMLElement;
  private readonly viewport: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly empty: HTMLElement;
  private images: GridImage[] = [];
  private model = '';
  private columns = 1;
  private active = 0;
  private readonly shown = new Map<number, Tile>();
  private readonly pool: Tile[] = [];
  private readonly sources = new Map<number, ImageSource>();
  private readonly asking = new Set<number>();
  private frame = 0;

  constructor(private readonly events: ImageGridEvents) {
    this.body = h('div', { class: 'grid-tiles', role: 'list' });
    this.viewport = h('div', { class: 'grid-viewport', tabindex: -1 }, this.body);
    this.empty = h('p', { class: 'empty', hidden: true });
    this.element = h('div', { class: 'image-grid' }, this.viewport, this.empty);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    this.body.addEventListener('keydown', (e) => this.onKey(e));
    this.body.addEventListener('focusin', (e) => {
      const tile = (e.target as Element).closest<HTMLElement>('[data-position]');
      if (tile) this.active = Number(tile.dataset.position);
      this.render();
    });
    new ResizeObserver(() => this.layout()).observe(this.viewport);
  }

  /** Shows these images (already in order); `model` names whose prediction the captions give. */
  show(images: GridImage[], model: string, emptyText: string): void {
    this.images = images;
    this.model = model;
    this.active = 0;
    this.viewport.scrollTop = 0;
    this.empty.textContent = emptyText;
    this.empty.hidden = images.length > 0;
    this.viewport.hidden = images.length === 0;
    this.body.setAttribute('aria-label', `${images.length} images`);
    for (const [position, tile] of this.shown) {
      this.shown.delete(position);
      this.recycle(tile);
    }
    this.layout();
  }

  get tilesInDom(): number {
    return this.shown.size;
  }

  private layout(): void {
    const width = this.viewport.clientWidth || 600;
    this.columns = Math.max(1, Math.floor((width + GAP) / (TILE_WIDTH + GAP)));
    const rows = Math.ceil(this.images.length / this.columns);
    this.body.style.height = `${rows * (TILE_HEIGHT + GAP)}px`;
    for (const [position, tile] of this.shown) this.place(tile.element, position);
    this.render();
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.render()));
  }

  private place(element: HTMLElement, position: number): void {
    const row = Math.floor(position / this.columns);
    const col = position % this.columns;
    element.style.transform = `translate(${col * (TILE_WIDTH + GAP)}px, ${row * (TILE_HEIGHT + GAP)}px)`;
  }

  /** Puts the tiles in view in the DOM (and the focused one), asks for the thumbnails they lack. */
  private render(): void {
    const n = this.images.length;
    const rowHeight = TILE_HEIGHT + GAP;
    const firstRow = Math.max(0, Math.floor(this.viewport.scrollTop / rowHeight) - OVERSCAN_ROWS);
    const lastRow = Math.ceil((this.viewport.scrollTop + (this.viewport.clientHeight || 400)) / rowHeight) + OVERSCAN_ROWS;
    const wanted = new Set<number>();
    for (let p = firstRow * this.columns; p < Math.min(n, (lastRow + 1) * this.columns); p++) wanted.add(p);
    const focused = this.shown.get(this.active);
    if (focused && focused.element.contains(document.activeElement)) wanted.add(this.active);
    for (const [position, tile] of this.shown) {
      if (!wanted.has(position)) {
        this.shown.delete(position);
        this.recycle(tile);
      }
    }
    const fresh: HTMLElement[] = [];
    const missing: number[] = [];
    for (const position of wanted) {
      if (this.shown.has(position)) continue;
      const tile = this.pool.pop() ?? this.createTile();
      this.fill(tile, position);
      this.shown.set(position, tile);
      fresh.push(tile.element);
      const row = this.images[position].row;
      if (!this.sources.has(row) && !this.asking.has(row)) missing.push(row);
    }
    if (fresh.length) this.body.append(...fresh);
    for (const [position, tile] of this.shown) tile.button.tabIndex = position === this.active ? 0 : -1;
    if (missing.length) void this.fetchSources(missing);
  }

  private async fetchSources(rows: number[]): Promise<void> {
    for (const r of rows) this.asking.add(r);
    let answer: ImageSource[] = [];
    try {
      answer = await this.events.sources(rows);
    } catch {
      // Tiles without a source keep their caption; the next render asks again.
    }
    rows.forEach((r, i) => {
      this.asking.delete(r);
      if (i < answer.length) this.sources.set(r, answer[i]);
    });
    for (const tile of this.shown.values()) {
      this.setPicture(tile);
      this.setLabel(tile);
    }
  }

  private createTile(): Tile {
    const picture = h('img', { alt: '', decoding: 'async', width: 96, height: 80 });
    const caption = h('span', { class: 'caption' });
    const confidence = h('span', { class: 'confidence' });
    const button = h('button', { type: 'button', class: 'tile-button' }, picture, caption, confidence);
    const element = h('div', { class: 'tile', role: 'listitem' }, button);
    const tile: Tile = { element, button, picture, caption, confidence, row: -1 };
    button.addEventListener('click', () => {
      const path = this.sources.get(tile.row)?.path;
      if (path) this.events.open(path);
    });
    picture.addEventListener('error', () => element.classList.add('broken'));
    picture.addEventListener('load', () => picture.classList.toggle('enlarged', picture.naturalWidth < 80 && picture.naturalHeight < 80));
    return tile;
  }

  private fill(tile: Tile, position: number): void {
    const img = this.images[position];
    tile.row = img.row;
    tile.element.dataset.position = String(position);
    this.place(tile.element, position);
    const right = img.predicted !== null && img.predicted === img.given;
    tile.element.classList.toggle('right', right);
    tile.element.classList.toggle('wrong', img.predicted !== null && !right);
    tile.element.classList.remove('broken');
    const mark = img.predicted === null ? '' : right ? '✓ ' : '✗ ';
    tile.caption.textContent = `${mark}${img.predicted === null || right ? img.given : `${img.given} → ${img.predicted}`}`;
    tile.confidence.textContent = img.confidence !== null ? percent(img.confidence) : '';
    this.setLabel(tile);
    this.setPicture(tile);
  }

  /** The tile's label names the image once its path has come (with its source). */
  private setLabel(tile: Tile): void {
    const img = this.images[Number(tile.element.dataset.position)];
    if (!img) return;
    const right = img.predicted !== null && img.predicted === img.given;
    const verdict = img.predicted === null ? `no ${this.model} prediction` : `${this.model} predicts ${img.predicted}${img.confidence !== null ? ` (${percent(img.confidence)} confident)` : ''}, ${right ? 'right' : 'wrong'}`;
    const label = `${this.sources.get(img.row)?.path ?? 'An image'}: given ${img.given}; ${verdict}. Open the image.`;
    tile.button.setAttribute('aria-label', label);
    tile.button.title = label;
  }

  private setPicture(tile: Tile): void {
    const src = this.sources.get(tile.row)?.src;
    tile.element.classList.toggle('outside', src === null);
    if (src && tile.picture.getAttribute('src') !== src) tile.picture.src = src;
    else if (!src) tile.picture.removeAttribute('src');
  }

  private recycle(tile: Tile): void {
    tile.element.remove();
    this.pool.push(tile);
  }

  private onKey(e: KeyboardEvent): void {
    const rowsInView = Math.max(1, Math.floor((this.viewport.clientHeight || TILE_HEIGHT) / (TILE_HEIGHT + GAP)));
    const moves: Record<string, number> = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: this.columns,
      ArrowUp: -this.columns,
      PageDown: this.columns * rowsInView,
      PageUp: -this.columns * rowsInView,
      Home: -Infinity,
      End: Infinity,
    };
    if (!(e.key in moves)) return;
    e.preventDefault();
    this.focusAt(Math.max(0, Math.min(this.images.length - 1, this.active + moves[e.key])));
  }

  /** Scrolls a tile into view and focuses it. */
  focusAt(position: number): void {
    if (!this.images.length) return;
    this.active = position;
    const rowHeight = TILE_HEIGHT + GAP;
    const top = Math.floor(position / this.columns) * rowHeight;
    if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
    else if (top + rowHeight > this.viewport.scrollTop + this.viewport.clientHeight) this.viewport.scrollTop = top + rowHeight - this.viewport.clientHeight;
    this.render();
    this.shown.get(position)?.button.focus({ preventScroll: true });
  }
}
