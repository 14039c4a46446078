// The class pairs GLA confuses most on the evaluation split, as a short ranked list with bars.
import type { PanelData } from '../../client/src/bias-panel-api';
import { h } from './dom';

export function confusionList(data: PanelData): HTMLElement {
  const section = h('section', { class: 'confusions', 'aria-labelledby': 'confusions-title' });
  section.append(h('h2', { id: 'confusions-title' }, `Most confused pairs (GLA on ${data.images.evaluatedOn})`));
  if (!data.confusions.length) {
    section.append(h('p', { class: 'empty' }, 'No confused pairs.'));
    return section;
  }
  const most = Math.max(...data.confusions.map((p) => p.count));
  const list = h('ol', { class: 'pairs' });
  for (const p of data.confusions) {
    const fill = h('span', { class: 'fill' });
    fill.style.width = `${(p.count / most) * 100}%`;
    list.append(
      h(
        'li',
        { 'aria-label': `${p.actual} taken for ${p.predicted}: ${p.count} ${p.count === 1 ? 'image' : 'images'}` },
        h('span', { class: 'pair', 'aria-hidden': 'true' }, h('span', { class: 'name' }, p.actual), h('span', { class: 'arrow' }, ' → '), h('span', { class: 'name' }, p.predicted)),
        h('span', { class: 'track', 'aria-hidden': 'true' }, fill),
        h('span', { class: 'value', 'aria-hidden': 'true' }, String(p.count)),
      ),
    );
  }
  section.append(list);
  return section;
}
