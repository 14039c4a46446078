// Thumbnails of the images worth a second look: suspected mislabelled ones (confident learning) and those GLA gets
// wrong on the evaluated split. Each is a button that opens the image in VS Code; a suspected label error also has
// a button that moves it into the suggested class folder (the extension asks the user first).
import type { PanelData, PanelImage } from '../../client/src/bias-panel-api';
import { h } from './dom';
import { percent } from './format';

export class ImageStrips {
  readonly element: HTMLElement;
  private readonly lists: { title: string; images: PanelImage[]; total: number; verb: string; list: HTMLElement; heading: HTMLElement; movable: boolean }[] = [];
  /** Suspected label errors now in their suggested folder, as the extension last read the disk. */
  private moved: Set<string>;
  private shown: Set<string> | null = null;

  constructor(
    data: PanelData,
    private readonly open: (path: string) => void,
    private readonly move: (path: string) => Promise<boolean>,
  ) {
    this.moved = new Set(data.images.moved);
    this.element = h('section', { class: 'images', 'aria-label': 'Images to re-check' });
    const add = (title: string, images: PanelImage[], total: number, verb: string, empty: string, movable = false) => {
      const heading = h('h2', {});
      const list = h('div', { class: 'strip', role: 'list', 'aria-label': title });
      this.lists.push({ title, images, total, verb, list, heading, movable });
      this.element.append(h('div', { class: 'image-list' }, heading, list, h('p', { class: 'empty', hidden: images.length > 0 }, empty)));
    };
    add('Suspected mislabelled', data.images.labelIssues, data.images.totalLabelIssues, 'suggested', 'No suspected label errors.', true);
    add(
      `Misclassified by GLA on ${data.images.evaluatedOn}`,
      data.images.misclassified,
      data.images.totalMisclassified,
      'predicted',
      data.images.predictionsAvailable ? 'No misclassified images.' : 'Not available: the run folder has no predictions.csv.',
    );
    this.show(null);
  }

  /** Only the images of the classes the table shows; null: all. */
  show(classes: Set<string> | null): void {
    this.shown = classes;
    for (const l of this.lists) {
      const picked = classes ? l.images.filter((i) => classes.has(i.given)) : l.images;
      const capped = l.total > l.images.length ? `, first ${l.images.length} of ${l.total}` : '';
      l.heading.textContent = `${l.title} (${classes ? `${picked.length} of ${l.images.length} for the shown classes` : l.images.length}${capped})`;
      l.list.replaceChildren(...picked.map((img) => this.thumb(img, l.verb, l.movable)));
    }
  }

  /** What the disk says now (a move, its undo, a move by hand): each "Move there" / "moved" follows. */
  setMoved(paths: string[]): void {
    this.moved = new Set(paths);
    this.show(this.shown);
  }

  private thumb(img: PanelImage, verb: string, movable: boolean): HTMLElement {
    const caption = `${img.given} → ${img.other}`;
    const label = `${img.path}: given ${img.given}, ${verb} ${img.other}${img.confidence !== null ? ` (${percent(img.confidence)})` : ''}. Open the image.`;
    const button = h('button', { class: 'thumb', type: 'button', 'aria-label': label, title: label });
    if (img.src) {
      const picture = h('img', { src: img.src, alt: '', loading: 'lazy', decoding: 'async', width: 64, height: 64 });
      picture.addEventListener('error', () => button.classList.add('broken'), { once: true });
      // Tiny images (icons, 32-pixel test sets) are enlarged with hard edges rather than blurred.
      picture.addEventListener('load', () => picture.classList.toggle('enlarged', picture.naturalWidth < 64 && picture.naturalHeight < 64), { once: true });
      button.append(picture);
    } else {
      button.append(h('span', { class: 'no-image' }, 'outside the dataset folder'));
      button.disabled = true;
    }
    button.append(h('span', { class: 'caption' }, caption));
    button.addEventListener('click', () => this.open(img.path));
    const item = h('div', { role: 'listitem', class: 'thumb-item' }, button);
    if (movable && img.src) {
      const done = this.moved.has(img.path);
      // The caption above already names the suggested class; the button stays short enough to fit the thumbnail.
      const move = h('button', { type: 'button', class: 'move', 'aria-label': `Move ${img.path} into the ${img.other} folder`, title: `Move into ${img.other}/` }, done ? 'moved' : 'Move there');
      move.disabled = done;
      move.addEventListener('click', async () => {
        move.disabled = true;
        if (await this.move(img.path)) {
          this.moved.add(img.path);
          move.textContent = 'moved';
        } else {
          move.disabled = this.moved.has(img.path);
        }
      });
      item.append(move);
    }
    return item;
  }
}
