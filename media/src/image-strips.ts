// Thumbnails of the images worth a second look: the label review queue (suspected mislabelled, review-queue.ts)
// and the images GLA gets wrong on the evaluated split. Each thumbnail is a button that opens the image in VS Code.
import type { PanelData, PanelImage } from '../../client/src/bias-panel-api';
import { h } from './dom';
import { percent } from './format';
import { thumbnailButton } from './thumbnail';
import type { ReviewQueue } from './review-queue';

export class ImageStrips {
  readonly element: HTMLElement;
  private readonly lists: { title: string; images: PanelImage[]; total: number; verb: string; list: HTMLElement; heading: HTMLElement }[] = [];
  private shown: Set<string> | null = null;

  constructor(
    data: PanelData,
    private readonly queue: ReviewQueue,
    private readonly open: (path: string) => void,
  ) {
    this.element = h('section', { class: 'images', 'aria-label': 'Images to re-check' }, queue.element);
    const add = (title: string, images: PanelImage[], total: number, verb: string, empty: string) => {
      const heading = h('h2', {});
      const list = h('div', { class: 'strip', role: 'list', 'aria-label': title });
      this.lists.push({ title, images, total, verb, list, heading });
      this.element.append(h('div', { class: 'image-list' }, heading, list, h('p', { class: 'empty', hidden: images.length > 0 }, empty)));
    };
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
    this.queue.show(classes);
    for (const l of this.lists) {
      const picked = classes ? l.images.filter((i) => classes.has(i.given)) : l.images;
      const capped = l.total > l.images.length ? `, first ${l.images.length} of ${l.total}` : '';
      l.heading.textContent = `${l.title} (${classes ? `${picked.length} of ${l.images.length} for the shown classes` : l.images.length}${capped})`;
      l.list.replaceChildren(...picked.map((img) => this.thumb(img, l.verb)));
    }
  }

  /** What the disk says now (a move, its undo, a move by hand): the queue's "Move there" / "moved" follows. */
  setMoved(paths: string[]): void {
    this.queue.setMoved(paths);
  }

  private thumb(img: PanelImage, verb: string): HTMLElement {
    const caption = `${img.given} → ${img.other}`;
    const label = `${img.path}: given ${img.given}, ${verb} ${img.other}${img.confidence !== null ? ` (${percent(img.confidence)})` : ''}. Open the image.`;
    const button = thumbnailButton(img, label, label, this.open);
    button.append(h('span', { class: 'caption' }, caption));
    return h('div', { role: 'listitem', class: 'thumb-item' }, button);
  }
}
