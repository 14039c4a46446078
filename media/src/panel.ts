// The bias panel page (bundled to dist/media/panel.js, run under the webview's strict CSP). It asks the extension
// for its data over comlink, draws header, summary cards, images to re-check, confusions and the class table, and
// reports how long the first paint took.
import { afterNextPaint, scriptStart } from './paint-clock';
import { expose, wrap } from 'comlink';
import type { ClassFinding, ClassGroup, EvaluationData, ModelKind, PanelData, PanelHost, PanelPage, PanelSavedState } from '../../client/src/bias-panel-api';
import { ClassTable } from './class-table';
import { DEFAULT_VIEW, FIRST_DIRECTION, describeView, visibleClasses, type SortKey, type ViewState } from './class-view';
import { confusionList } from './confusion-list';
import { h, s } from './dom';
import { EvaluationSection, modelSelect } from './evaluation-section';
import { failedFiles } from './failed-files';
import { extensionEndpoint, type VsCodeApi } from './host-endpoint';
import { ImageStrips } from './image-strips';
import { ReviewQueue } from './review-queue';
import { modelSwatch, summaryCards } from './summary-cards';
import { RunTools } from './run-comparison';
import type { RunComparison } from '../../client/src/bias-panel-api';

/**
 * What survives the panel being hidden and shown again (VS Code reloads a hidden webview's page), and a window
 * reload: `restore` tells the extension's serializer what to show again.
 */
interface SavedState extends PanelSavedState {
  view: ViewState;
}

const vscode: VsCodeApi = acquireVsCodeApi();
const host = wrap<PanelHost>(extensionEndpoint(vscode, 'host'));
const app = document.getElementById('app')!;

class BiasPanelPage {
  private view: ViewState;
  private readonly table: ClassTable;
  private readonly images?: ImageStrips;
  private readonly evaluation?: EvaluationSection;
  private readonly tableModel?: HTMLSelectElement;
  private evaluationData: EvaluationData | null = null;
  /** Re-run, Compare with… and the comparison (run panels only). */
  readonly runTools?: RunTools;
  private readonly count: HTMLElement;
  private readonly status: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly toggles: { button: HTMLButtonElement; on: (v: ViewState) => boolean; flip: (v: ViewState) => ViewState; aria: string; n: () => number }[] = [];
  private order: number[] = [];

  constructor(private readonly data: PanelData) {
    const saved = vscode.getState() as Partial<SavedState> | undefined;
    this.view = saved?.source === data.source ? { ...DEFAULT_VIEW, ...saved.view } : { ...DEFAULT_VIEW };
    // A saved model the run lacks (a probe-less run, an older report): its last model, GLA where it has one.
    if (!data.models.includes(this.view.model)) this.view.model = data.models[data.models.length - 1] ?? 'gla';
    this.table = new ClassTable(data, { activate: (i) => void this.reveal(i), sort: (key) => this.sortBy(key) });
    this.count = h('span', { class: 'count', 'aria-live': 'polite' });
    this.status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    this.search = h('input', { type: 'search', class: 'search', placeholder: 'Search classes', 'aria-label': 'Search classes by name or prompt', spellcheck: 'false' });
    this.search.value = this.view.search;
    let typing = 0;
    this.search.addEventListener('input', () => {
      clearTimeout(typing);
      typing = window.setTimeout(() => this.update({ ...this.view, search: this.search.value }), 80);
    });
    if (data.kind === 'run') {
      const queue = new ReviewQueue(data, {
        open: (path) => void this.openImage(path),
        move: (paths) => this.moveImages(paths),
        notAnError: (paths) => this.markNotAnError(paths),
        openThresholdSetting: () => void host.openThresholdSetting().catch((err) => this.say(`Could not open Settings: ${errorText(err)}`)),
        say: (message) => this.say(message),
        countsChanged: () => this.paintToggleCounts(),
      });
      this.images = new ImageStrips(data, queue, (path) => void this.openImage(path));
    }
    if (data.kind === 'run' && data.models.length) {
      this.evaluation = new EvaluationSection(data, this.view.model, {
        model: (model) => this.update({ ...this.view, model }),
        open: (path) => void this.openImage(path),
        sources: (rows) => host.imageSources(rows),
      });
      this.tableModel = modelSelect(data, this.view.model, 'Model whose precision, recall and F1 the table shows');
      this.tableModel.addEventListener('change', () => this.update({ ...this.view, model: this.tableModel!.value as ModelKind }));
    }

    if (data.kind === 'run') this.runTools = new RunTools(host, data, () => this.save());
    const exportButton = h('button', { type: 'button', class: 'primary', 'aria-label': 'Export the class table as CSV' }, 'Export CSV…');
    exportButton.addEventListener('click', () => void this.exportCsv());
    const classifierButton = h('button', { type: 'button', 'aria-label': 'Export the GLA classifier as an ONNX model folder' }, 'Export Classifier…');
    classifierButton.addEventListener('click', () => void this.exportClassifier());
    const header = h(
      'header',
      { class: 'top' },
      h('div', { class: 'titles' }, h('h1', {}, data.title), h('p', { class: 'source' }, data.source)),
      h('div', { class: 'actions' }, ...(this.runTools?.buttons ?? []), ...(data.kind === 'run' ? [classifierButton] : []), exportButton),
    );
    const parts: HTMLElement[] = [header];
    if (this.runTools) parts.push(this.runTools.element);
    if (data.missing.length) {
      parts.push(h('div', { class: 'notice', role: 'note' }, h('strong', {}, 'Shown as far as the data allows: '), h('ul', {}, ...data.missing.map((m) => h('li', {}, m)))));
    }
    const failed = failedFiles(data.failed, (path) => void this.openFailedFile(path));
    if (failed) parts.push(failed);
    parts.push(summaryCards(data));
    // With every image's predictions the workbench below lists each model's confused pairs; without, the report's GLA ones.
    if (data.kind === 'run') parts.push(h('div', { class: `lower${data.images.predictionsAvailable ? ' images-only' : ''}` }, data.images.predictionsAvailable ? undefined : confusionList(data), this.images!.element));
    if (this.evaluation && data.images.predictionsAvailable) parts.push(this.evaluation.element);
    const toolbar = this.toolbar();
    parts.push(h('section', { class: 'classes', 'aria-label': 'Classes' }, toolbar, this.table.element));
    // The table's header sticks just under the toolbar, whose height depends on the width (its lines wrap).
    new ResizeObserver(() => document.documentElement.style.setProperty('--toolbar-height', `${toolbar.offsetHeight}px`)).observe(toolbar);
    app.replaceChildren(...parts);
    app.removeAttribute('aria-busy');
    this.update(this.view);
    if (saved?.source === data.source && saved.scrollY) window.scrollTo(0, saved.scrollY);
    let saving = 0;
    window.addEventListener('scroll', () => {
      clearTimeout(saving);
      saving = window.setTimeout(() => this.save(), 200);
    }, { passive: true });
  }

  get rowsInDom(): number {
    return this.table.rowsInDom;
  }

  get wantsEvaluation(): boolean {
    return !!this.evaluation && this.data.images.predictionsAvailable;
  }

  setConfidence(confidence: EvaluationData['confidence']): void {
    this.evaluation?.setConfidence(confidence);
  }

  /** Every image's predictions, asked for after the first paint; returns the matrix cells drawn. */
  setEvaluation(evaluation: EvaluationData | null): number {
    this.evaluationData = evaluation;
    return this.evaluation?.setEvaluation(evaluation) ?? 0;
  }

  private toolbar(): HTMLElement {
    const toggle = (label: string, aria: string, on: (v: ViewState) => boolean, flip: (v: ViewState) => ViewState, n: () => number) => {
      const button = h('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', 'aria-label': `${aria}: ${n()}` }, label, h('span', { class: 'n', 'aria-hidden': 'true' }, String(n())));
      button.addEventListener('click', () => this.update(flip(this.view)));
      this.toggles.push({ button, on, flip, aria, n });
      return button;
    };
    const classes = this.data.classes;
    const group = (g: ClassGroup, label: string) =>
      toggle(
        label,
        `Show ${g} classes (${label === 'Head' ? 'largest' : label === 'Tail' ? 'smallest' : 'middle'} third by q)`,
        (v) => v.groups.includes(g),
        (v) => ({ ...v, groups: v.groups.includes(g) ? v.groups.filter((x) => x !== g) : [...v.groups, g] }),
        () => classes.filter((c) => c.group === g).length,
      );
    // Each finding kind has its own filter: a class CLIP's prior is against, and one its prompts miss, need different fixes.
    const finding = (f: ClassFinding, label: string, aria: string) =>
      toggle(
        label,
        aria,
        (v) => v.findings.includes(f),
        (v) => ({ ...v, findings: v.findings.includes(f) ? v.findings.filter((x) => x !== f) : [...v.findings, f] }),
        () => classes.filter((c) => c.finding === f).length,
      );
    const filters = h(
      'div',
      { class: 'filters', role: 'group', 'aria-label': 'Filter classes' },
      group('head', 'Head'),
      group('medium', 'Medium'),
      group('tail', 'Tail'),
      finding('biased-against', 'Biased against', 'Show classes CLIP\'s prior is strongly biased against: log(C·q) ≤ −1 nat, q below 37% of uniform'),
    );
    if (this.data.kind === 'run') {
      filters.append(finding('prompt-miss', 'Prompts miss', 'Show classes whose zero-shot recall is at least 0.20 below GLA\'s: CLIP\'s prompts miss them, whatever the prior'));
    }
    if (this.data.kind === 'run') {
      filters.append(
        toggle(
          'With label issues',
          'Show only classes with suspected mislabelled images',
          (v) => v.withLabelIssues,
          (v) => ({ ...v, withLabelIssues: !v.withLabelIssues }),
          () => classes.filter((c) => c.labelIssues > 0).length,
        ),
      );
    }
    const legend = h('div', { class: 'legend', 'aria-hidden': 'true' });
    legend.append(
      h('span', { class: 'key' }, s('svg', { class: 'swatch', width: 8, height: 12 }, s('line', { class: 'key-uniform', x1: 4, x2: 4, y1: 0, y2: 12 })), 'uniform 1/C'),
      h('span', { class: 'key' }, s('svg', { class: 'swatch', width: 18, height: 10 }, s('rect', { class: 'key-for', x: 0, y: 1, width: 18, height: 8 })), 'above uniform'),
      h('span', { class: 'key' }, s('svg', { class: 'swatch', width: 18, height: 10 }, s('rect', { class: 'key-against', x: 0, y: 1, width: 18, height: 8 })), 'below'),
      h('span', { class: 'key' }, s('svg', { class: 'swatch', width: 18, height: 10 }, s('rect', { class: 'key-strong', x: 0, y: 1, width: 18, height: 8 })), '≤ −1 nat'),
    );
    legend.append(h('span', { class: 'key' }, h('span', { class: 'strong-mark' }), 'biased against'));
    if (this.data.kind === 'run') legend.append(h('span', { class: 'key' }, h('span', { class: 'strong-mark prompt-miss' }), 'prompts miss it'));
    if (this.data.kind === 'run') {
      legend.append(h('span', { class: 'sep' }, 'Recall, top to bottom:'));
      for (const k of this.data.models) {
        const label = this.data.modelLabels[k];
        legend.append(h('span', { class: 'key', title: label }, modelSwatch(k), h('span', { class: 'label' }, label)));
      }
    }
    const line = h('div', { class: 'line' }, this.search, filters);
    if (this.tableModel) line.append(h('label', { class: 'model-pick' }, 'P, R, F1 under ', this.tableModel));
    line.append(this.count);
    return h('div', { class: 'toolbar' }, line, h('div', { class: 'line' }, legend, this.status));
  }

  private update(view: ViewState): void {
    this.view = view;
    this.order = visibleClasses(this.data.classes, view);
    this.table.setModel(view.model);
    this.table.setOrder(this.order);
    this.table.showSort(view);
    if (this.tableModel) this.tableModel.value = view.model;
    this.evaluation?.setModel(view.model);
    for (const t of this.toggles) t.button.setAttribute('aria-pressed', String(t.on(view)));
    const total = this.data.classes.length;
    this.count.textContent = this.order.length === total ? `${total.toLocaleString('en-US')} classes` : `Showing ${this.order.length.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} classes`;
    const filtered = this.order.length !== total;
    this.images?.show(filtered ? new Set(this.order.map((i) => this.data.classes[i].name)) : null);
    this.save();
  }

  /** The extension asks for a class (gla.showClassInBiasPanel): filters that hide it are cleared, then its row takes focus. */
  selectClass(name: string): boolean {
    const index = this.data.classes.findIndex((c) => c.name === name);
    if (index < 0) return false;
    if (!this.order.includes(index)) {
      this.search.value = '';
      this.update({ ...DEFAULT_VIEW, sort: this.view.sort, direction: this.view.direction });
    }
    document.querySelector('.classes')?.scrollIntoView({ block: 'start' });
    this.table.setActive(index, true);
    this.say(`Showing ${name}.`);
    return true;
  }

  setMoved(paths: string[]): void {
    this.images?.setMoved(paths);
  }

  /** A review changed the classes' label-issue counts: the filters' numbers and the table follow. */
  private paintToggleCounts(): void {
    for (const t of this.toggles) {
      const n = t.n();
      t.button.setAttribute('aria-label', `${t.aria}: ${n}`);
      const badge = t.button.querySelector('.n');
      if (badge) badge.textContent = String(n);
    }
    this.update(this.view);
  }

  private sortBy(key: SortKey): void {
    const direction = this.view.sort === key ? (this.view.direction === 'ascending' ? 'descending' : 'ascending') : FIRST_DIRECTION[key];
    this.update({ ...this.view, sort: key, direction });
  }

  private save(): void {
    const state: SavedState = { restore: this.data.restore, source: this.data.source, view: this.view, scrollY: window.scrollY, comparedWith: this.runTools?.comparedWith };
    vscode.setState(state);
  }

  private say(message: string): void {
    this.status.textContent = message;
  }

  private async reveal(index: number): Promise<void> {
    const c = this.data.classes[index];
    if (!c) return;
    this.evaluation?.showClass(index);
    try {
      this.say((await host.revealClass(c.name)).message);
    } catch (err) {
      this.say(`Could not reveal ${c.name}: ${errorText(err)}`);
    }
  }

  private async openImage(path: string): Promise<void> {
    try {
      await host.openImage(path);
    } catch (err) {
      this.say(`Could not open ${path}: ${errorText(err)}`);
    }
  }

  private async moveImages(paths: string[]): Promise<string[]> {
    try {
      const result = await host.moveToSuggestedClass(paths);
      this.say(result.message);
      return result.moved;
    } catch (err) {
      this.say(`Could not move ${paths.length === 1 ? paths[0] : `${paths.length} images`}: ${errorText(err)}`);
      return [];
    }
  }

  private async markNotAnError(paths: string[]): Promise<string[]> {
    try {
      const result = await host.markNotLabelError(paths);
      this.say(result.message);
      return result.marked;
    } catch (err) {
      this.say(`Could not record the review: ${errorText(err)}`);
      return [];
    }
  }

  private async openFailedFile(path: string): Promise<void> {
    try {
      await host.openFailedFile(path);
    } catch (err) {
      this.say(`Could not open ${path}: ${errorText(err)}`);
    }
  }

  private async exportClassifier(): Promise<void> {
    try {
      const done = await host.exportClassifier();
      this.say(done ? `Exported the classifier to ${done.path}.` : 'Export cancelled.');
    } catch (err) {
      this.say(`Export failed: ${errorText(err)}`);
    }
  }

  private async exportCsv(): Promise<void> {
    try {
      const done = await host.exportCsv(this.order, describeView(this.view, this.order.length, this.data.classes.length));
      this.say(done ? `Exported ${this.order.length} classes to ${done.path}.` : 'Export cancelled.');
    } catch (err) {
      this.say(`Export failed: ${errorText(err)}`);
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The extension's calls into the page; they wait for the page to be built. */
let built: (page: BiasPanelPage) => void;
const pageReady = new Promise<BiasPanelPage>((r) => (built = r));
const pageApi: PanelPage = {
  selectClass: async (name: string) => (await pageReady).selectClass(String(name)),
  setMoved: async (paths: string[]) => (await pageReady).setMoved(Array.isArray(paths) ? paths.map(String) : []),
  showComparison: async (comparison: RunComparison) => (await pageReady).runTools?.show(comparison),
};
expose(pageApi, extensionEndpoint(vscode, 'page'));

/**
 * Asks again when the extension does not answer: right after a window reload a message can be lost while the
 * extension host is still starting, and a page that waited forever would stay blank.
 */
async function loadData(): Promise<PanelData> {
  for (let attempt = 1; ; attempt++) {
    const answer = await Promise.race([host.load(), new Promise<undefined>((r) => setTimeout(r, LOAD_RETRY_MS))]);
    if (answer) return answer;
    app.querySelector('.loading')?.replaceChildren(`Loading the bias panel… (asked ${attempt + 1} times)`);
    if (attempt >= LOAD_ATTEMPTS) throw new Error(`the extension did not answer within ${(LOAD_ATTEMPTS * LOAD_RETRY_MS) / 1000} s`);
  }
}

const LOAD_RETRY_MS = 3000;
const LOAD_ATTEMPTS = 10;

async function main(): Promise<void> {
  const asked = performance.now();
  let data: PanelData;
  try {
    data = await loadData();
  } catch (err) {
    app.replaceChildren(h('p', { class: 'error', role: 'alert' }, `The bias panel could not load its data: ${errorText(err)}`));
    app.removeAttribute('aria-busy');
    return;
  }
  const loaded = performance.now();
  document.body.dataset.panel = data.kind;
  const page = new BiasPanelPage(data);
  built(page);
  const rendered = performance.now();
  const painted = await afterNextPaint();
  document.body.dataset.firstPaintMs = (painted - scriptStart).toFixed(1);
  await host.firstPaint({
    classes: data.classes.length,
    sinceScriptStart: painted - scriptStart,
    load: loaded - asked,
    render: rendered - loaded,
    rowsInDom: page.rowsInDom,
    sinceNavigation: painted,
  });
  if (page.wantsEvaluation) await loadEvaluation(page, data.classes.length);
}

/** The workbench's data comes after the first paint (it can be 50 000 rows); the matrix's paint time is reported. */
async function loadEvaluation(page: BiasPanelPage, classes: number): Promise<void> {
  const asked = performance.now();
  let evaluation: EvaluationData | null = null;
  try {
    evaluation = await host.evaluation();
  } catch {
    evaluation = null;
  }
  const loaded = performance.now();
  const cellsDrawn = page.setEvaluation(evaluation);
  const painted = await afterNextPaint();
  document.body.dataset.matrixPaintMs = (painted - asked).toFixed(1);
  await host.evaluationPainted({ classes, images: evaluation?.images ?? 0, matrix: painted - asked, load: loaded - asked, cellsDrawn });
  if (evaluation) page.setConfidence(await host.evaluationConfidence().catch(() => ({})));
}

void main();
