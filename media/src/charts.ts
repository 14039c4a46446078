// The two per-row charts and their axes. Each row owns one small SVG per chart whose marks are placed in percent of
// the column's width, so a chart never needs measuring and a row updates by setting a few attributes.
//  - Prior: q on a log scale. A bar runs from the uniform prior 1/C (dashed line) to q, so its length is the bias
//    log(C·q) in nats; blue above uniform, orange below, red at or below −1 nat.
//  - Recall: zero-shot ○ → debiased ◆ → fine-tuned ■ → naive ensemble ▲ → GLA ●, on 0–100 %, each model on its own
//    lane (top to bottom) and joined in that order: a small slope chart, in which equal recalls never hide each
//    other. A report without the naive ensemble (written before it existed) has four lanes.
import type { ModelKind, PanelClass } from '../../client/src/bias-panel-api';
import { s } from './dom';

export const CHART_HEIGHT = 19;
const MID = CHART_HEIGHT / 2;
/** Room at both ends so marks at the extremes are not cut. */
const PAD = 3;

export interface Tick {
  pos: number;
  label: string;
}

/** log10(q) → percent of the chart's width. */
export interface PriorScale {
  pos(q: number): number;
  uniform: number;
  ticks: Tick[];
}

function qLabel(v: number): string {
  if (v >= 0.001) return String(Number(v.toPrecision(2)));
  const exp = Math.floor(Math.log10(v) + 1e-9);
  const mantissa = Math.round(v / 10 ** exp);
  return `${mantissa}e−${-exp}`;
}

/** Keeps ticks at least `gap` percent apart, so their labels do not overlap. */
function spaced(ticks: Tick[], gap: number): Tick[] {
  const out: Tick[] = [];
  for (const t of ticks) if (!out.length || t.pos - out[out.length - 1].pos >= gap) out.push(t);
  return out;
}

export function priorScale(classes: readonly PanelClass[]): PriorScale {
  const C = classes.length || 1;
  let lo = Math.log10(1 / C);
  let hi = lo;
  for (const c of classes) {
    if (c.prior === null) continue;
    const l = Math.log10(c.prior);
    if (l < lo) lo = l;
    if (l > hi) hi = l;
  }
  if (hi - lo < 0.2) {
    lo -= 0.1;
    hi += 0.1;
  }
  const span = hi - lo;
  const pos = (q: number) => PAD + ((Math.log10(q) - lo) / span) * (100 - 2 * PAD);
  const steps = span >= 2 ? [1] : span >= 0.8 ? [1, 3] : [1, 2, 5];
  const ticks: Tick[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    for (const m of steps) {
      const v = m * 10 ** e;
      const l = Math.log10(v);
      if (l >= lo - 1e-9 && l <= hi + 1e-9) ticks.push({ pos: pos(v), label: qLabel(v) });
    }
  }
  return { pos, uniform: pos(1 / C), ticks: spaced(ticks, 16) };
}

export function recallPos(v: number): number {
  return PAD + v * (100 - 2 * PAD);
}

export const RECALL_TICKS: Tick[] = [0, 0.5, 1].map((v) => ({ pos: recallPos(v), label: `${v * 100}%` }));

/** Tick labels for a chart column's header. */
export function axis(ticks: readonly Tick[], extra?: SVGElement): SVGSVGElement {
  const svg = s('svg', { class: 'axis', width: '100%', height: 12, 'aria-hidden': 'true', focusable: 'false' });
  for (const t of ticks) {
    const anchor = t.pos < 8 ? 'start' : t.pos > 92 ? 'end' : 'middle';
    svg.append(s('text', { x: `${t.pos}%`, y: 10, 'text-anchor': anchor }, t.label));
  }
  if (extra) svg.append(extra);
  return svg;
}

const pct = (v: number) => `${v.toFixed(2)}%`;

/** One row's prior chart; update() moves its marks. */
export class PriorChart {
  readonly svg: SVGSVGElement;
  private readonly bar: SVGRectElement;
  private readonly dot: SVGCircleElement;

  constructor(private readonly scale: PriorScale) {
    this.svg = s('svg', { class: 'chart prior-chart', width: '100%', height: CHART_HEIGHT, 'aria-hidden': 'true', focusable: 'false' });
    const u = pct(scale.uniform);
    this.svg.append(s('line', { class: 'uniform', x1: u, x2: u, y1: 1, y2: CHART_HEIGHT - 1 }));
    this.bar = s('rect', { class: 'bar', y: MID - 4, height: 8 });
    this.dot = s('circle', { class: 'dot', cy: MID, r: 3.5 });
    this.svg.append(this.bar, this.dot);
  }

  update(c: PanelClass): void {
    const hidden = c.prior === null;
    this.bar.setAttribute('visibility', hidden ? 'hidden' : 'visible');
    this.dot.setAttribute('visibility', hidden ? 'hidden' : 'visible');
    if (hidden) return;
    const p = this.scale.pos(c.prior!);
    const u = this.scale.uniform;
    this.bar.setAttribute('x', pct(Math.min(p, u)));
    this.bar.setAttribute('width', pct(Math.abs(p - u)));
    const tone = (c.bias ?? 0) <= -1 ? 'strong' : (c.bias ?? 0) < 0 ? 'against' : 'for';
    this.svg.setAttribute('data-tone', tone);
    this.dot.setAttribute('cx', pct(p));
  }
}

/** The marker shapes, drawn around (0,0): also used by the legend. */
export function marker(kind: ModelKind): SVGElement {
  switch (kind) {
    case 'zeroShot':
      return s('circle', { class: 'm-zeroShot', r: 2.8 });
    case 'debiased':
      return s('path', { class: 'm-debiased', d: 'M0,-3.6L3.6,0L0,3.6L-3.6,0Z' });
    case 'finetuned':
      return s('rect', { class: 'm-finetuned', x: -2.8, y: -2.8, width: 5.6, height: 5.6 });
    case 'ensemble':
      return s('path', { class: 'm-ensemble', d: 'M0,-3.2L3.5,2.8L-3.5,2.8Z' });
    case 'gla':
      return s('circle', { class: 'm-gla', r: 3.4 });
  }
}

/** Each model on its own lane, 4 px apart from the top, so equal recalls never hide each other. */
const LANE_GAP = 4;
const FIRST_LANE = 3.5;

/** The recall chart's height for this many lanes: 19 px for four, 23 px for five (rows are 28 px). */
export function recallChartHeight(lanes: number): number {
  return FIRST_LANE * 2 + LANE_GAP * Math.max(0, lanes - 1);
}

/** One row's recall slope over the shown models, top to bottom: zero-shot → … → GLA. */
export class RecallChart {
  readonly svg: SVGSVGElement;
  private readonly segments: SVGLineElement[] = [];
  private readonly marks = new Map<ModelKind, SVGSVGElement>();

  constructor(private readonly models: readonly ModelKind[]) {
    const height = recallChartHeight(models.length);
    const laneY = (i: number) => FIRST_LANE + LANE_GAP * i;
    this.svg = s('svg', { class: 'chart recall-chart', width: '100%', height, 'aria-hidden': 'true', focusable: 'false' });
    for (const v of [0, 0.5, 1]) {
      const x = pct(recallPos(v));
      this.svg.append(s('line', { class: 'grid-line', x1: x, x2: x, y1: 0, y2: height }));
    }
    for (let i = 0; i < models.length - 1; i++) {
      const line = s('line', { class: 'segment', y1: laneY(i), y2: laneY(i + 1) });
      this.segments.push(line);
      this.svg.append(line);
    }
    models.forEach((k, i) => {
      // A nested svg placed at x% carries the marker drawn around its origin: shapes stay undistorted at any width.
      const holder = s('svg', { y: laneY(i), overflow: 'visible' }, marker(k));
      this.marks.set(k, holder);
      this.svg.append(holder);
    });
  }

  update(c: PanelClass): void {
    const r = c.recall;
    const models = this.models;
    const values = models.map((k) => r?.[k] ?? null);
    models.forEach((k, i) => {
      const holder = this.marks.get(k)!;
      holder.setAttribute('visibility', values[i] === null ? 'hidden' : 'visible');
      if (values[i] !== null) holder.setAttribute('x', pct(recallPos(values[i]!)));
    });
    this.segments.forEach((line, i) => {
      const a = values[i];
      const b = values[i + 1];
      line.setAttribute('visibility', a === null || b === null ? 'hidden' : 'visible');
      if (a !== null && b !== null) {
        line.setAttribute('x1', pct(recallPos(a)));
        line.setAttribute('x2', pct(recallPos(b)));
      }
    });
    const zs = r?.zeroShot ?? null;
    const gla = r?.gla ?? null;
    this.svg.setAttribute('data-tone', zs === null || gla === null ? 'flat' : gla > zs + 1e-9 ? 'up' : gla < zs - 1e-9 ? 'down' : 'flat');
  }
}
