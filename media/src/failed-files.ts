// Files the run could not read (report.json's `failed`): each path with its reason, a path inside the dataset a
// button that opens the file (or reveals it in the Explorer). A long list starts collapsed.
import type { PanelFailedFile } from '../../client/src/bias-panel-api';
import { h } from './dom';

/** Up to this many, the list starts open. */
export const OPEN_UP_TO = 5;

export function failedFiles(files: readonly PanelFailedFile[], open: (path: string) => void): HTMLElement | undefined {
  if (!files.length) return undefined;
  const list = h('ul', { class: 'failed-list' });
  for (const f of files) {
    const path = f.openable
      ? h('button', { type: 'button', class: 'link path', title: `Open ${f.path}`, 'aria-label': `Open ${f.path}` }, f.path)
      : h('span', { class: 'path', title: f.path }, f.path);
    if (f.openable) path.addEventListener('click', () => open(f.path));
    list.append(h('li', {}, path, h('span', { class: 'error' }, f.error)));
  }
  const summary = h('summary', {}, h('h2', {}, `Files the run could not read (${files.length})`), h('span', { class: 'sub' }, 'left out of every number below'));
  return h('details', { class: 'failed', open: files.length <= OPEN_UP_TO, 'aria-label': 'Files the run could not read' }, summary, list);
}
