// The bias panel's host: webview panels showing a run's report or a standalone bias profile. The page (media/src/,
// bundled to dist/media/panel.js) asks for its data and calls back over comlink; this side answers, opens images
// and gla.yaml lines, and writes CSV exports. One panel follows the last run; each opened JSON file gets its own.
import { expose, releaseProxy, wrap, type Remote } from 'comlink';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { PANEL_HOST_METHODS, type EvaluationPaint, type FirstPaint, type PanelData, type PanelHost, type PanelPage, type PanelRestore, type RevealResult } from './bias-panel-api';
import { watchMovedImages } from './moved-images-watch';
import { profilePanelTitle, runPanelTitle } from './panel-title';
import { isBiasProfile, isRunReport, panelDataFromProfile, panelDataFromReport, parseLenientJson } from './bias-panel-data';
import { datasetFile } from './dataset-file';
import { evaluationFromPredictions, forThePage, type EvaluationTable } from './evaluation-data';
import { panelHtml } from './bias-panel-html';
import { classTableCsv } from './bias-table-csv';
import type { RunRecord } from './last-run';
import { findClassInManifest } from './manifest-class-line';
import { pageEndpoint, webviewEndpoint } from './webview-endpoint';
import type { CompareResult, RunComparison } from './bias-panel-api';
import type { AnalyzeResult } from '../../server/src/protocol';
import { reviewedAmong } from '../../server/src/store/reviewed';
import { markNotLabelError, moveToSuggestedClass } from './review-actions';
import { readSettings } from './settings';
import type { GlaWorker } from './worker';
import { compareFromPanel } from './run-compare-host';

/** What one panel shows, and where its files are. */
interface PanelSource {
  key: string;
  title: string;
  /** Image URIs depend on the webview, so the data is made once the panel exists. */
  data: (webview: vscode.Webview) => PanelData;
  kind: PanelData['kind'];
  /** Images may be shown from here and nowhere else. */
  datasetRoot?: string;
  manifestPath?: string;
  /** Where the CSV export is offered first. */
  exportDefault: vscode.Uri;
  /** What the page keeps in its webview state, so the serializer can show the same after a window reload. */
  restore: PanelRestore;
  /** Every image's predictions, read from predictions.csv when the page first asks (runs only). */
  evaluation?: () => EvaluationTable | null;
  /** The run folder (runs only): what Compare and Re-run start from. */
  runDir?: string;
  /** The run this one re-ran, when it came from the panel's Re-run: the page offers to compare with it. */
  previousRun?: { runDir: string; label: string };
}

interface OpenPanel {
  panel: vscode.WebviewPanel;
  source?: PanelSource;
  /** Everything tied to the page now loaded: both comlink conversations and the dataset watcher. */
  link?: vscode.Disposable;
  page?: Remote<PanelPage>;
  /** Settles when the page now loaded has painted; replaced whenever VS Code drops the page (a hidden panel). */
  painted: Deferred;
  /** The comparison the page shows, given back when VS Code reloads a hidden panel's page. */
  comparison?: RunComparison;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** How long a caller waits for a (re)loading page before giving up on selecting a row. */
const PAINT_TIMEOUT_MS = 15_000;

const RUN_KEY = 'last-run';

export class BiasPanel implements vscode.Disposable {
  static readonly viewType = 'gla.biasPanel';
  private readonly panels = new Map<string, OpenPanel>();
  /** A Re-run under way: the run it started from, so the new run's panel can offer to compare with it. */
  private rerunning?: { datasetRoot?: string; runDir: string; label: string };

  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    /** Records "not an error" (gla.markNotLabelError); absent, the queue offers Move and Skip only. */
    private readonly worker?: GlaWorker,
  ) {
    // A new gla.labelIssues.threshold re-flags the open runs' candidates (report.json keeps them all).
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('gla.labelIssues.threshold')) return;
        this.output.info(`bias panel: gla.labelIssues.threshold is now ${readSettings().labelIssueThreshold}; re-flagging ${this.panels.size} open panel(s)`);
        void this.refreshRunPanels();
      }),
    );
  }

  /** Each open run panel again from its report.json, keeping its page's view (filters, scroll). */
  private async refreshRunPanels(): Promise<void> {
    for (const [key, open] of [...this.panels]) {
      const { restore, runDir } = open.source ?? {};
      if (!restore || !runDir) continue;
      const reportPath = restore.kind === 'last-run' ? restore.reportPath : restore.path;
      const source = await this.runSource({ runDir, reportPath, finishedAt: Date.now() }, key, restore);
      if (source && this.panels.get(key) === open) this.present(source, false, open.panel);
    }
  }

  /** GLA: Show Bias Panel, and the Analyze summary's "Show Bias Panel": the last run. Returns the panel's key. */
  async show(run: RunRecord, options: { keepIfShown?: boolean } = {}): Promise<string | undefined> {
    const open = this.panels.get(RUN_KEY);
    if (options.keepIfShown && open?.source?.restore.kind === 'last-run' && open.source.restore.reportPath === run.reportPath) {
      open.panel.reveal(undefined, false);
      return RUN_KEY;
    }
    const source = await this.runSource(run, RUN_KEY, { kind: 'last-run', runDir: run.runDir, reportPath: run.reportPath });
    if (!source) return undefined;
    this.present(source, true);
    return RUN_KEY;
  }

  /** The run panel follows new runs while it is open, without taking focus. */
  async refreshRun(run: RunRecord): Promise<void> {
    if (!this.panels.has(RUN_KEY)) return;
    const source = await this.runSource(run, RUN_KEY, { kind: 'last-run', runDir: run.runDir, reportPath: run.reportPath });
    if (source) this.present(source, false);
  }

  /** The serializer's way back after a window reload: what the page's saved state says it showed, in the given panel. */
  async restore(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const restore = (state as { restore?: Partial<PanelRestore> } | undefined)?.restore;
    const compared = (state as { comparedWith?: unknown } | undefined)?.comparedWith;
    this.output.info(`bias panel: restoring ${JSON.stringify(restore ?? null)} after a window reload`);
    const isFile = async (p: unknown) => typeof p === 'string' && (await stat(p).then((s) => s.isFile(), () => false));
    try {
      if (restore?.kind === 'last-run' && typeof restore.runDir === 'string' && typeof restore.reportPath === 'string' && (await isFile(restore.reportPath))) {
        const run: RunRecord = { runDir: restore.runDir, reportPath: restore.reportPath, finishedAt: Date.now() };
        const source = await this.runSource(run, RUN_KEY, { kind: 'last-run', runDir: run.runDir, reportPath: run.reportPath });
        if (source) return this.present(source, false, panel, await this.comparisonAgain(source, compared));
      } else if (restore?.kind === 'file' && typeof restore.path === 'string' && (await isFile(restore.path))) {
        await this.showFile(vscode.Uri.file(restore.path), panel, { comparedWith: compared });
        return;
      }
    } catch (err) {
      this.output.warn(`bias panel: could not restore ${JSON.stringify(restore)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    // What it showed is gone (a deleted run, a moved profile): close it rather than leave an empty tab.
    this.output.info(`bias panel: nothing to restore (${JSON.stringify(restore ?? null)}); closing it`);
    panel.dispose();
  }

  /** gla.showClassInBiasPanel: selects, scrolls to and focuses a class's row in the panel under `key`. */
  async selectClass(key: string, className: string): Promise<boolean> {
    const open = this.panels.get(key);
    if (!open) return false;
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), PAINT_TIMEOUT_MS));
    if ((await Promise.race([open.painted.promise, timeout])) === 'timeout' || !open.page) {
      throw new Error(`the bias panel did not load within ${PAINT_TIMEOUT_MS / 1000} s`);
    }
    return open.page.selectClass(className);
  }

  /** GLA: Open Bias Profile…: a {classes, prior} JSON such as CLIP's ImageNet prior, or a run's report.json. */
  async showFile(uri: vscode.Uri, adopt?: vscode.WebviewPanel, options: { keepIfShown?: boolean; comparedWith?: unknown } = {}): Promise<string> {
    const shown = this.panels.get(uri.fsPath);
    if (!adopt && options.keepIfShown && shown?.source) {
      shown.panel.reveal(undefined, false);
      return uri.fsPath;
    }
    let json: unknown;
    let nonFinite = false;
    try {
      ({ json, nonFinite } = parseLenientJson(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))));
    } catch (err) {
      throw new Error(`cannot read ${uri.fsPath} as JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (isRunReport(json)) {
      const source = await this.runSource({ runDir: dirname(uri.fsPath), reportPath: uri.fsPath, finishedAt: Date.now() }, uri.fsPath, { kind: 'file', path: uri.fsPath }, { json, nonFinite });
      if (!source) throw new Error(`cannot show ${uri.fsPath}`);
      this.present(source, true, adopt, await this.comparisonAgain(source, options.comparedWith));
      return uri.fsPath;
    }
    if (!isBiasProfile(json)) {
      throw new Error(`${basename(uri.fsPath)} is not a bias profile: expected {"classes": [names…], "prior": [numbers…]} or a run's report.json`);
    }
    const folder = vscode.workspace.getWorkspaceFolder(uri)?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(dirname(uri.fsPath));
    this.present(
      {
        key: uri.fsPath,
        title: profilePanelTitle(basename(uri.fsPath)),
        kind: 'profile',
        data: () => panelDataFromProfile(json, basename(uri.fsPath), nonFinite),
        exportDefault: vscode.Uri.joinPath(folder, `${basename(uri.fsPath, '.json')}-classes.csv`),
        restore: { kind: 'file', path: uri.fsPath },
      },
      true,
      adopt,
    );
    return uri.fsPath;
  }

  private async runSource(run: RunRecord, key: string, restore: PanelRestore, parsed?: { json: unknown; nonFinite: boolean }): Promise<PanelSource | undefined> {
    // Read before any await: the new run's panel is made while the Re-run's command is still returning.
    const rerun = this.rerunning;
    let read = parsed;
    if (!read) {
      try {
        read = parseLenientJson(await readFile(run.reportPath, 'utf8'));
      } catch (err) {
        void vscode.window.showErrorMessage(`GLA: cannot read ${run.reportPath}: ${err instanceof Error ? err.message : String(err)}`);
        return undefined;
      }
    }
    const { json: report, nonFinite } = read;
    const r = (typeof report === 'object' && report ? report : {}) as { createdAt?: unknown; dataset?: { root?: unknown; manifest?: unknown } };
    // report.json names the dataset by absolute path; a hand-moved or fixture report may name it relative to the run.
    const datasetRoot = typeof r.dataset?.root === 'string' ? resolve(run.runDir, r.dataset.root) : undefined;
    let manifestPath = typeof r.dataset?.manifest === 'string' ? resolve(run.runDir, r.dataset.manifest) : undefined;
    if (!manifestPath && datasetRoot && existsSync(join(datasetRoot, 'gla.yaml'))) manifestPath = join(datasetRoot, 'gla.yaml');
    if (manifestPath && !existsSync(manifestPath)) manifestPath = undefined;
    const predictionsCsv = await readFile(join(run.runDir, 'predictions.csv'), 'utf8').catch(() => undefined);
    const reviewed = datasetRoot ? await this.reviewedSinceRun(report, datasetRoot) : { paths: new Set<string>() };
    const labelIssueThreshold = readSettings(datasetRoot ? vscode.Uri.file(datasetRoot) : undefined).labelIssueThreshold;
    let evaluation: EvaluationTable | null | undefined;
    return {
      evaluation: () => {
        if (evaluation !== undefined) return evaluation;
        const names = (Array.isArray((report as { classes?: unknown }).classes) ? (report as { classes: unknown[] }).classes : []).map((c) => String((c as { name?: unknown })?.name ?? ''));
        const on = typeof (report as { evaluatedOn?: unknown }).evaluatedOn === 'string' ? (report as { evaluatedOn: string }).evaluatedOn : 'test';
        evaluation = predictionsCsv === undefined ? null : evaluationFromPredictions(predictionsCsv, names, on);
        return evaluation;
      },
      key,
      title: runPanelTitle(datasetRoot, run.runDir, r.createdAt, run.finishedAt),
      kind: 'run',
      data: (webview) => {
        const data = panelDataFromReport({
          report,
          labelIssueThreshold,
          reviewedSinceRun: reviewed.paths,
          nonFinite,
          predictionsCsv,
          imageSrc: (path) => {
            const file = datasetRoot ? datasetFile(datasetRoot, path) : undefined;
            return file ? webview.asWebviewUri(vscode.Uri.file(file)).toString() : undefined;
          },
          canRevealClasses: !!manifestPath,
        });
        if (reviewed.notice) data.missing.push(reviewed.notice);
        return data;
      },
      datasetRoot,
      manifestPath,
      exportDefault: vscode.Uri.file(join(run.runDir, 'bias-classes.csv')),
      restore,
      runDir: run.runDir,
      previousRun: rerun && resolve(rerun.runDir) !== resolve(run.runDir) && rerun.datasetRoot === datasetRoot ? { runDir: rerun.runDir, label: rerun.label } : undefined,
    };
  }

  /** The run's candidates marked "not an error" after it ran; a malformed or foreign reviewed.json: none, and its notice. */
  private async reviewedSinceRun(report: unknown, datasetRoot: string): Promise<{ paths: Set<string>; notice?: string }> {
    const issues = (report as { labelIssues?: unknown }).labelIssues;
    const paths = Array.isArray(issues) ? issues.map((i) => (i as { path?: unknown })?.path).filter((p): p is string => typeof p === 'string') : [];
    // The worker's rule (workspace-folders.ts rootFor): the workspace folder holding the dataset, else its parent.
    const workspaceRoot = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(datasetRoot))?.uri.fsPath ?? dirname(resolve(datasetRoot));
    try {
      return await reviewedAmong(workspaceRoot, datasetRoot, paths);
    } catch (err) {
      return { paths: new Set(), notice: `.gla/reviewed.json could not be read (${err instanceof Error ? err.message : String(err)}); it was ignored` };
    }
  }

  /** The comparison a reloaded page showed (its saved run folders), computed again; undefined when it cannot be. */
  private async comparisonAgain(source: PanelSource, compared: unknown): Promise<RunComparison | undefined> {
    if (!source.runDir || !Array.isArray(compared)) return undefined;
    const here = resolve(source.runDir);
    const other = compared.find((r): r is string => typeof r === 'string' && resolve(r) !== here);
    if (!other || !compared.some((r) => typeof r === 'string' && resolve(r) === here)) return undefined;
    const result = await compareFromPanel(source.runDir, other).catch(() => undefined);
    if (!result?.comparison) this.output.info(`bias panel: the comparison with ${other} could not be shown again (${result?.message ?? 'failed'})`);
    return result?.comparison;
  }

  private present(source: PanelSource, reveal: boolean, adopt?: vscode.WebviewPanel, comparison?: RunComparison): void {
    const media = vscode.Uri.joinPath(this.context.extensionUri, 'media');
    const bundled = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'media');
    const options: vscode.WebviewOptions & vscode.WebviewPanelOptions = {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: true,
      // The extension's stylesheet and script, and the dataset's images: nothing else on disk.
      localResourceRoots: [media, bundled, ...(source.datasetRoot ? [vscode.Uri.file(source.datasetRoot)] : [])],
    };
    let open = this.panels.get(source.key);
    if (adopt && open?.panel !== adopt) {
      // A restored panel takes the place of one opened meanwhile under the same key.
      open?.panel.dispose();
      open = this.track(source.key, adopt);
      adopt.webview.options = options;
    } else if (!open) {
      open = this.track(source.key, vscode.window.createWebviewPanel(BiasPanel.viewType, source.title, vscode.ViewColumn.Active, options));
    } else {
      open.panel.webview.options = options;
      if (reveal) open.panel.reveal(undefined, false);
    }
    open.panel.title = source.title;
    if (open.source?.runDir !== source.runDir || !source.runDir) open.comparison = undefined;
    if (comparison) open.comparison = comparison;
    open.source = source;
    open.link?.dispose();
    open.painted = deferred();
    const webview = open.panel.webview;
    const data = source.data(webview);
    const hostEnd = webviewEndpoint(webview, PANEL_HOST_METHODS);
    const pageEnd = pageEndpoint(webview);
    const page = wrap<PanelPage>(pageEnd);
    const current = open;
    // The page follows the disk: a move, its undo, or a file moved by hand flips "Move there" / "moved".
    const watch = source.datasetRoot ? watchMovedImages(source.datasetRoot, data.images.labelIssues, (moved) => void current.page?.setMoved(moved).catch(() => undefined)) : undefined;
    expose(this.host(source, data, current, () => watch?.moved ?? []), hostEnd);
    open.page = page;
    open.link = new vscode.Disposable(() => {
      watch?.dispose();
      hostEnd.dispose();
      page[releaseProxy]();
      pageEnd.dispose();
    });
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(bundled, 'panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
      title: source.title,
    });
  }

  private track(key: string, panel: vscode.WebviewPanel): OpenPanel {
    const open: OpenPanel = { panel, painted: deferred() };
    this.panels.set(key, open);
    panel.onDidDispose(() => {
      open.link?.dispose();
      if (this.panels.get(key) === open) this.panels.delete(key);
    });
    // VS Code drops a hidden panel's page and loads it again when shown: wait for that page's paint next time.
    panel.onDidChangeViewState(() => {
      if (!panel.visible) open.painted = deferred();
    });
    return open;
  }

  /** What the page may call. Arguments come from the page, so each is checked. */
  private host(source: PanelSource, data: PanelData, open: OpenPanel, moved: () => string[]): PanelHost {
    return {
      load: async () => {
        this.output.debug(`bias panel: the page asked for ${source.key}'s data`);
        // The workbench asks for every image's predictions once the page has painted: read them meanwhile.
        setTimeout(() => source.evaluation?.(), 0);
        return { ...data, images: { ...data.images, moved: moved() }, restore: source.restore, previousRun: source.previousRun, comparison: open.comparison };
      },
      revealClass: async (name: unknown) => this.revealClass(source, String(name)),
      openImage: async (path: unknown) => {
        const file = source.datasetRoot && typeof path === 'string' ? datasetFile(source.datasetRoot, path) : undefined;
        if (!file) throw new Error('that image is not inside the dataset folder');
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.Beside, preview: true });
      },
      exportCsv: async (rows: unknown, description: unknown) => {
        const indices = Array.isArray(rows) ? rows.filter((i): i is number => Number.isInteger(i) && i >= 0 && i < data.classes.length) : [];
        const target = await vscode.window.showSaveDialog({
          defaultUri: source.exportDefault,
          filters: { 'CSV files': ['csv'] },
          saveLabel: 'Export',
          title: `Export ${typeof description === 'string' ? description : 'the class table'} as CSV`,
        });
        if (!target) return undefined;
        await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(classTableCsv(data, indices)));
        this.output.info(`bias panel: exported ${indices.length} classes to ${target.fsPath}`);
        void vscode.window.showInformationMessage(`GLA: exported ${indices.length} classes to ${target.fsPath}.`, 'Open').then((choice) => {
          if (choice) void vscode.window.showTextDocument(target);
        });
        return { path: target.fsPath };
      },
      exportClassifier: async () => {
        const runDir = source.restore.kind === 'last-run' ? source.restore.runDir : dirname(source.restore.path);
        const result = (await vscode.commands.executeCommand('gla.exportClassifier', { runDir })) as { out: string } | undefined;
        return result && { path: result.out };
      },
      moveToSuggestedClass: async (paths: unknown) => moveToSuggestedClass(source.datasetRoot, data, stringList(paths), this.output),
      markNotLabelError: async (paths: unknown) => markNotLabelError(source.datasetRoot, data, stringList(paths), this.output, this.worker),
      openThresholdSetting: async () => {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'gla.labelIssues.threshold');
      },
      openFailedFile: async (path: unknown) => this.openFailedFile(source, String(path)),
      evaluation: async () => {
        const started = performance.now();
        const table = source.evaluation?.() ?? null;
        this.output.debug(`bias panel: evaluation data for ${table?.images ?? 0} images in ${(performance.now() - started).toFixed(1)} ms`);
        return table && forThePage(table);
      },
      evaluationConfidence: async () => source.evaluation?.()?.confidence ?? {},
      imageSources: async (rows: unknown) => {
        const paths = source.evaluation?.()?.paths ?? [];
        const list = Array.isArray(rows) ? rows.slice(0, 2000) : [];
        return list.map((r) => {
          const path = Number.isInteger(r) ? paths[r as number] : undefined;
          const file = path && source.datasetRoot ? datasetFile(source.datasetRoot, path) : undefined;
          return { path: path ?? '', src: file ? open.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString() : null };
        });
      },
      evaluationPainted: async (t: EvaluationPaint) => {
        const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(1) : '?');
        this.output.info(
          `bias panel: confusion matrix painted ${ms(t?.matrix)} ms after asking for its data (${Number(t?.classes)} classes, ${Number(t?.images)} images; data ${ms(t?.load)} ms, ${Number(t?.cellsDrawn)} cells drawn)`,
        );
      },
      compareWith: async (runDir: unknown): Promise<CompareResult> => {
        if (!source.runDir) return { message: 'Only a run can be compared.' };
        const result = await compareFromPanel(source.runDir, runDir);
        if (result.comparison) open.comparison = result.comparison;
        return result;
      },
      closeComparison: async () => {
        open.comparison = undefined;
      },
      rerun: async () => this.rerun(source, data),
      firstPaint: async (t: FirstPaint) => {
        open.painted.resolve();
        const ms = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(1) : '?');
        this.output.info(
          `bias panel: first paint ${ms(t?.sinceScriptStart)} ms after the panel script started (${Number(t?.classes)} classes; ` +
            `data ${ms(t?.load)} ms, render ${ms(t?.render)} ms, ${Number(t?.rowsInDom)} rows in the DOM; ${ms(t?.sinceNavigation)} ms since the page began)`,
        );
      },
    };
  }

  /** GLA: Compare Runs…: shows a comparison in the panel under `key` once its page has painted. */
  async showComparison(key: string, comparison: RunComparison): Promise<void> {
    const open = this.panels.get(key);
    if (!open) return;
    open.comparison = comparison;
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), PAINT_TIMEOUT_MS));
    if ((await Promise.race([open.painted.promise, timeout])) === 'timeout' || !open.page) throw new Error(`the bias panel did not load within ${PAINT_TIMEOUT_MS / 1000} s`);
    await open.page.showComparison(comparison);
  }

  /** Re-run: gla.analyzeDataset on the run's dataset (its progress and Cancel as from the palette); the last-run panel then shows the new run. */
  private async rerun(source: PanelSource, data: PanelData): Promise<{ ran: boolean; message: string }> {
    const target = source.manifestPath ?? source.datasetRoot;
    if (!source.runDir || !target || !existsSync(target)) return { ran: false, message: 'This run names no dataset folder that still exists, so it cannot be analyzed again.' };
    if (this.rerunning) return { ran: false, message: 'A re-run is already under way.' };
    this.rerunning = { datasetRoot: source.datasetRoot, runDir: source.runDir, label: source.title.replace(/^GLA Bias · /, '') };
    this.output.info(`bias panel: re-running ${target} (${data.source})`);
    try {
      const result = await vscode.commands.executeCommand<AnalyzeResult | undefined>('gla.analyzeDataset', vscode.Uri.file(target));
      if (!result) return { ran: false, message: 'The re-run did not finish (cancelled or failed); this is still the earlier run.' };
      // The last-run panel follows new runs by itself; a panel opened from a report.json hands over to it.
      if (source.key !== RUN_KEY) await this.show({ runDir: result.runDir, reportPath: result.summary.reportPath, summary: result.summary, finishedAt: Date.now() });
      return { ran: true, message: `Analyzed again: ${basename(result.runDir)}.` };
    } finally {
      this.rerunning = undefined;
    }
  }

  /** A file the run could not read: opened where VS Code can show it, else shown in the Explorer. */
  private async openFailedFile(source: PanelSource, path: string): Promise<void> {
    const file = source.datasetRoot ? datasetFile(source.datasetRoot, path) : undefined;
    if (!file) throw new Error('that file is not inside the dataset folder');
    const uri = vscode.Uri.file(file);
    const info = await stat(file).catch(() => undefined);
    if (!info) throw new Error(`${path} no longer exists`);
    if (info.isFile()) {
      try {
        await vscode.commands.executeCommand('vscode.open', uri, { viewColumn: vscode.ViewColumn.Beside, preview: true });
        return;
      } catch (err) {
        this.output.info(`bias panel: cannot open ${file} (${err instanceof Error ? err.message : String(err)}); revealing it instead`);
      }
    }
    await vscode.commands.executeCommand('revealInExplorer', uri);
  }

  private async revealClass(source: PanelSource, name: string): Promise<RevealResult> {
    const say = (message: string): RevealResult => {
      void vscode.window.showInformationMessage(`GLA: ${message}`);
      return { revealed: false, message };
    };
    if (source.kind === 'profile') return { revealed: false, message: 'A bias profile has no gla.yaml to reveal.' };
    if (!source.manifestPath) {
      return say(`the dataset${source.datasetRoot ? ` ${basename(source.datasetRoot)}` : ''} has no gla.yaml, so '${name}' has no line to reveal.`);
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(source.manifestPath));
    const found = findClassInManifest(doc.getText(), name);
    if (found.kind === 'no-class-list') return say(`gla.yaml has no classes: list (its classes are the folders), so '${name}' has no line to reveal.`);
    if (found.kind === 'not-listed') return say(`gla.yaml does not list '${name}'.`);
    const { start, end } = found.range;
    const range = new vscode.Range(start.line, start.character, end.line, end.character);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, selection: range, preview: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return { revealed: true, message: `'${name}' is on line ${start.line + 1} of gla.yaml.` };
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    for (const open of [...this.panels.values()]) {
      open.link?.dispose();
      open.panel.dispose();
    }
    this.panels.clear();
  }
}

/** The page's list of image paths (one string accepted too). */
function stringList(raw: unknown): string[] {
  return (Array.isArray(raw) ? raw : [raw]).filter((p): p is string => typeof p === 'string' && p !== '');
}
