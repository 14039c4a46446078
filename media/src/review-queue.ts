// The label review queue: the suspected label errors (confident learning, GLA's out-of-sample probabilities), most
// confident first, reviewed one by one or as a selection. Move to the suggested class (one undoable WorkspaceEdit
// per batch), Not an error (.gla/reviewed.json), or Skip (for now). The keys: j/k or ↓/↑ to go, x to select, m, n,
// s to act, Enter to open the image.
import type { PanelData, PanelImage } from '../../client/src/bias-panel-api';
import { removeReviewed } from '../../client/src/review-counts';
import { h } from './dom';
import { count, percent } from './format';
import { thumbnailButton } from './thumbnail';

export interface ReviewActions {
  open(path: string): void;
  /** The paths the extension moved (the user may cancel or keep some). */
  move(paths: string[]): Promise<string[]>;
  /** The paths recorded as "not an error". */
  notAnError(paths: string[]): Promise<string[]>;
  openThresholdSetting(): void;
  say(message: string): void;
  /** The class table's label-issue counts changed (a review took images out). */
  countsChanged(): void;
}

const TITLE = 'Suspected mislabelled';

/** A threshold as the setting holds it (0.5, 0.999), never rounded to a value it is not. */
const threshold = (t: number) => String(t);

/** A probability to one decimal, never rounded up to a certainty it is not (0.99998 reads "> 99.9%"). */
const sure = (p: number | null) => (p !== null && p < 1 && p >= 0.9995 ? '> 99.9%' : percent(p, 1));

export class ReviewQueue {
  readonly element: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly meta: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly selectAll: HTMLInputElement;
  private readonly batchMove: HTMLButtonElement;
  private readonly batchNotError: HTMLButtonElement;
  private readonly unskip: HTMLButtonElement;
  private moved: Set<string>;
  private readonly picked = new Set<string>();
  private readonly skipped = new Set<string>();
  private shownClasses: Set<string> | null = null;

  constructor(
    private readonly data: PanelData,
    private readonly actions: ReviewActions,
  ) {
    this.moved = new Set(data.images.moved);
    this.heading = h('h2', {});
    this.meta = h('div', { class: 'queue-meta' });
    this.selectAll = h('input', { type: 'checkbox', class: 'select-all', 'aria-label': 'Select every image in the queue' });
    this.selectAll.addEventListener('change', () => this.pickAll(this.selectAll.checked));
    this.batchMove = h('button', { type: 'button', class: 'batch-move' }, 'Move selected');
    this.batchMove.addEventListener('click', () => void this.moveImages([...this.picked]));
    this.batchNotError = h('button', { type: 'button', class: 'batch-not-error' }, 'Not an error');
    this.batchNotError.addEventListener('click', () => void this.markNotAnError([...this.picked]));
    this.unskip = h('button', { type: 'button', class: 'link unskip', hidden: true });
    this.unskip.addEventListener('click', () => {
      this.skipped.clear();
      this.render();
    });
    this.bar = h('div', { class: 'queue-bar', role: 'toolbar', 'aria-label': 'Act on the selected images' }, h('label', { class: 'pick-all' }, this.selectAll, 'All'), this.batchMove, this.batchNotError, this.unskip);
    this.list = h('div', { class: 'strip queue', role: 'list', 'aria-label': `${TITLE}, most confident first`, 'aria-describedby': 'queue-keys' });
    this.list.addEventListener('keydown', (e) => this.onKey(e));
    this.empty = h('p', { class: 'empty' });
    const keys = h('p', { class: 'queue-keys', id: 'queue-keys' }, 'j/k or ↓/↑ next/previous · x select · m move · n not an error · s skip · Enter open');
    this.element = h('div', { class: 'image-list review-queue' }, this.heading, this.meta, this.bar, keys, this.list, this.empty);
    this.renderMeta();
    this.render();
  }

  /** Only the images of the classes the table shows; null: all. */
  show(classes: Set<string> | null): void {
    this.shownClasses = classes;
    this.render();
  }

  /** What the disk says now (a move, its undo, a move by hand): each "Move there" / "moved" follows. */
  setMoved(paths: string[]): void {
    this.moved = new Set(paths);
    for (const row of this.rows()) this.paintMoved(row);
  }

  private queued(): PanelImage[] {
    const classes = this.shownClasses;
    return this.data.images.labelIssues.filter((i) => !this.skipped.has(i.path) && (!classes || classes.has(i.given)));
  }

  private renderMeta(): void {
    const images = this.data.images;
    const steps = h('ul', { class: 'threshold-counts', 'aria-label': 'How many images each gla.labelIssues.threshold would flag' });
    for (const step of images.thresholdCounts) {
      const label = `≥ ${threshold(step.threshold)}: ${count(step.count)}`;
      steps.append(h('li', { class: step.current ? 'current' : undefined, 'aria-current': step.current ? 'true' : undefined, title: `${count(step.count)} ${step.count === 1 ? 'image' : 'images'} at threshold ${step.threshold}${step.current ? ' (the setting now)' : ''}` }, label));
    }
    const change = h('button', { type: 'button', class: 'link', 'aria-label': 'Change gla.labelIssues.threshold in Settings' }, 'Change…');
    change.addEventListener('click', () => this.actions.openThresholdSetting());
    const reviewed = images.reviewed ? `${count(images.reviewed)} marked "not an error" left out · ` : '';
    this.meta.replaceChildren(
      h('span', { class: 'threshold-label' }, `${reviewed}Flagged where GLA gives the suggested class ≥ ${threshold(images.labelIssueThreshold)} (gla.labelIssues.threshold):`),
      steps,
      change,
    );
  }

  private render(): void {
    const all = this.data.images.labelIssues;
    const picked = this.queued();
    const capped = this.data.images.totalLabelIssues > all.length ? `, first ${all.length} of ${count(this.data.images.totalLabelIssues)}` : '';
    const shown = this.shownClasses ? `${picked.length} of ${all.length} for the shown classes` : `${picked.length === all.length ? all.length : `${picked.length} of ${all.length}`}`;
    this.heading.textContent = `${TITLE} (${shown}${capped})`;
    for (const p of [...this.picked]) if (!picked.some((i) => i.path === p)) this.picked.delete(p);
    this.list.replaceChildren(...picked.map((img) => this.row(img)));
    this.empty.textContent = all.length ? (this.skipped.size && !picked.length ? 'Every image in the queue was skipped.' : 'None for the shown classes.') : 'No suspected label errors.';
    this.empty.hidden = picked.length > 0;
    this.unskip.hidden = this.skipped.size === 0;
    this.unskip.textContent = `Show ${this.skipped.size} skipped`;
    this.bar.hidden = picked.length === 0;
    this.paintSelection();
  }

  private row(img: PanelImage): HTMLElement {
    const open = thumbnailButton(img, `${img.path}: given ${img.given}, suggested ${img.other} (${sure(img.confidence)}). Open the image.`, `Open ${img.path}`, this.actions.open);
    const pick = h('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select ${img.path}` });
    pick.addEventListener('change', () => {
      if (pick.checked) this.picked.add(img.path);
      else this.picked.delete(img.path);
      this.paintSelection();
    });
    const button = (cls: string, text: string, label: string, act: () => void) => {
      const b = h('button', { type: 'button', class: cls, 'aria-label': label, title: label }, text);
      b.addEventListener('click', act);
      return b;
    };
    const move = button('move', 'Move there', `Move ${img.path} into the ${img.other} folder`, () => void this.moveImages([img.path]));
    move.title = `Move into ${img.other}/`;
    const row = h(
      'div',
      { class: 'thumb-item queue-row', role: 'listitem', 'data-path': img.path },
      pick,
      open,
      h(
        'div',
        { class: 'queue-text' },
        h('span', { class: 'queue-path', title: img.path }, img.path),
        h('span', { class: 'queue-labels' }, h('span', { class: 'given' }, img.given), ' → ', h('strong', { class: 'suggested' }, img.other)),
        h('span', { class: 'queue-confidence', title: 'GLA\'s out-of-sample probability of the suggested class' }, `${sure(img.confidence)} sure`),
      ),
      h(
        'div',
        { class: 'queue-actions' },
        img.src ? move : undefined,
        button('not-error', 'Not an error', `${img.path} is labelled right: do not flag it again while it is unchanged`, () => void this.markNotAnError([img.path])),
        button('skip', 'Skip', `Skip ${img.path} for now`, () => this.skip([img.path])),
      ),
    );
    this.paintMoved(row);
    return row;
  }

  private rows(): HTMLElement[] {
    return Array.from(this.list.querySelectorAll<HTMLElement>('.queue-row'));
  }

  private paintMoved(row: HTMLElement): void {
    const move = row.querySelector<HTMLButtonElement>('button.move');
    if (!move) return;
    const done = this.moved.has(row.dataset.path ?? '');
    move.textContent = done ? 'moved' : 'Move there';
    move.disabled = done;
  }

  private paintSelection(): void {
    for (const row of this.rows()) {
      const on = this.picked.has(row.dataset.path ?? '');
      row.classList.toggle('picked', on);
      const box = row.querySelector<HTMLInputElement>('input.pick');
      if (box) box.checked = on;
    }
    const n = this.picked.size;
    const queued = this.queued().length;
    this.selectAll.checked = n > 0 && n === queued;
    this.selectAll.indeterminate = n > 0 && n < queued;
    this.batchMove.disabled = n === 0;
    this.batchNotError.disabled = n === 0;
    this.batchMove.textContent = n ? `Move ${n} selected` : 'Move selected';
    this.batchNotError.textContent = n ? `${n} not an error` : 'Not an error';
  }

  private pickAll(on: boolean): void {
    this.picked.clear();
    if (on) for (const i of this.queued()) this.picked.add(i.path);
    this.paintSelection();
  }

  /** The selection when the focused row is part of it; else the focused row alone. */
  private targets(path: string): string[] {
    return this.picked.has(path) ? [...this.picked] : [path];
  }

  private onKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const row = (e.target as HTMLElement).closest<HTMLElement>('.queue-row');
    if (!row) return;
    const rows = this.rows();
    const at = rows.indexOf(row);
    const path = row.dataset.path ?? '';
    const focus = (i: number) => rows[Math.max(0, Math.min(rows.length - 1, i))]?.querySelector<HTMLElement>('button.thumb')?.focus();
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        focus(at + 1);
        break;
      case 'k':
      case 'ArrowUp':
        focus(at - 1);
        break;
      case 'Home':
        focus(0);
        break;
      case 'End':
        focus(rows.length - 1);
        break;
      case 'x':
        if (this.picked.has(path)) this.picked.delete(path);
        else this.picked.add(path);
        this.paintSelection();
        break;
      case 'm':
        void this.moveImages(this.targets(path)).then(() => this.focusAfter(at));
        break;
      case 'n':
        void this.markNotAnError(this.targets(path)).then(() => this.focusAfter(at));
        break;
      case 's':
        this.skip(this.targets(path));
        this.focusAfter(at);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /** After an action on row `at`: the row now there (the next image), or the last one. */
  private focusAfter(at: number): void {
    const rows = this.rows();
    const next = rows[Math.min(at, rows.length - 1)];
    (next?.querySelector<HTMLElement>('button.thumb') ?? this.list).focus();
  }

  private skip(paths: string[]): void {
    for (const p of paths) {
      this.skipped.add(p);
      this.picked.delete(p);
    }
    this.actions.say(`Skipped ${paths.length === 1 ? paths[0] : `${paths.length} images`}; "Show ${this.skipped.size} skipped" brings ${this.skipped.size === 1 ? 'it' : 'them'} back.`);
    this.render();
  }

  private async moveImages(paths: string[]): Promise<void> {
    const movable = paths.filter((p) => !this.moved.has(p));
    if (!movable.length) return;
    const buttons = this.rows().filter((r) => movable.includes(r.dataset.path ?? '')).map((r) => r.querySelector<HTMLButtonElement>('button.move')).filter((b): b is HTMLButtonElement => !!b);
    for (const b of buttons) b.disabled = true;
    const moved = await this.actions.move(movable);
    for (const p of moved) {
      this.moved.add(p);
      this.picked.delete(p);
    }
    for (const row of this.rows()) this.paintMoved(row);
    this.paintSelection();
  }

  private async markNotAnError(paths: string[]): Promise<void> {
    if (!paths.length) return;
    const marked = await this.actions.notAnError(paths);
    if (!marked.length) return;
    for (const p of marked) this.picked.delete(p);
    // The same arithmetic as the extension's copy: the threshold row and class counts follow.
    removeReviewed(this.data, new Set(marked));
    this.renderMeta();
    this.render();
    this.actions.countsChanged();
  }
}
