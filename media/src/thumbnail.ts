// A button holding an image's 64-pixel thumbnail (or why there is none), as the image lists and the review queue show it.
import type { PanelImage } from '../../client/src/bias-panel-api';
import { h } from './dom';

export function thumbnailButton(img: PanelImage, label: string, title: string, open: (path: string) => void): HTMLButtonElement {
  const button = h('button', { class: 'thumb', type: 'button', 'aria-label': label, title });
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
  button.addEventListener('click', () => open(img.path));
  return button;
}
