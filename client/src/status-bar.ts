// The status-bar item: the model the next run will use (and where that choice comes from), the execution provider
// and the last run, at a glance.
import * as vscode from 'vscode';
import type { StatusParams } from '../../server/src/protocol';
import type { ManifestText } from './active-manifest';
import type { RunRecord } from './last-run';
import { chooseModel, shortModelName } from './model-choice';
import { describeRun, shortRunText } from './run-summary-text';
import { readSettings } from './settings';
import type { WorkerState } from './worker';

export const STATUS_ITEM_ID = 'gla.status';

export class GlaStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  /** What the worker last said it runs on; until then, the settings. */
  private reported: StatusParams = {};
  private workerState: WorkerState = 'starting';
  private lastRun: RunRecord | undefined;

  constructor(
    lastRun: RunRecord | undefined,
    /** The gla.yaml of the dataset being worked on, whose `model:` wins over the gla.model setting. */
    private readonly manifest: { readonly current: ManifestText | undefined },
  ) {
    this.lastRun = lastRun;
    this.item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'GLA Studio';
    this.render();
    this.item.show();
  }

  setWorkerState(state: WorkerState): void {
    this.workerState = state;
    this.render();
  }

  setStatus(status: StatusParams): void {
    this.reported = { ...this.reported, ...status };
    this.render();
  }

  setLastRun(run: RunRecord): void {
    this.lastRun = run;
    this.render();
  }

  /** Settings changed: show the new model until the worker reports what it actually loads. */
  settingsChanged(): void {
    this.reported = {};
    this.render();
  }

  /** Another gla.yaml became the active one, or its text changed. */
  manifestChanged(): void {
    this.render();
  }

  private render(): void {
    const settings = readSettings();
    // Not the model the last run reported: the next run follows gla.yaml and the setting, so the bar does too.
    const choice = chooseModel(this.manifest.current, settings.model);
    const model = choice.model;
    const from = choice.source === 'gla.yaml' ? 'from gla.yaml' : 'from the gla.model setting';
    const where = choice.manifestPath ? `: \`${vscode.workspace.asRelativePath(choice.manifestPath)}\`` : '';
    const provider = this.reported.executionProvider ?? settings.executionProvider;
    const icon = this.workerState === 'starting' ? '$(sync~spin)' : this.workerState === 'stopped' ? '$(error)' : '$(beaker)';
    const run = this.lastRun?.summary ? ` · ${shortRunText(this.lastRun.summary)}` : '';
    // A model folder shows by its name; the tooltip has the full path.
    this.item.text = `${icon} GLA: ${shortModelName(model)} · ${provider}${run}`;

    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown('**GLA Studio**\n\n');
    tip.appendMarkdown(`Model: \`${model}\` (${from}${where})  \nExecution provider: \`${provider}\`  \n`);
    // gla.finetuned; a gla.yaml's finetuned: still wins for its dataset.
    tip.appendMarkdown(settings.finetuned.trim() ? `Fine-tuned model: \`${settings.finetuned.trim()}\`  \n` : 'Fine-tuned model: the linear probe  \n');
    tip.appendMarkdown(`Worker: ${this.workerState}${vscode.workspace.isTrusted ? '' : ' (Restricted Mode: manifest checks only)'}\n\n`);
    if (this.lastRun) {
      const when = new Date(this.lastRun.finishedAt).toLocaleString();
      tip.appendMarkdown(`Last run (${when}): ${this.lastRun.summary ? describeRun(this.lastRun.summary) : this.lastRun.runDir}`);
    } else {
      tip.appendMarkdown('No run yet: run **GLA: Analyze Dataset…**');
    }
    this.item.tooltip = tip;
    this.item.accessibilityInformation = {
      label: `GLA Studio: model ${model} ${from}, ${provider}, worker ${this.workerState}${vscode.workspace.isTrusted ? '' : ', restricted mode'}`,
      role: 'button',
    };
    this.item.command =
      this.workerState === 'stopped'
        ? { title: 'Restart Worker', command: 'gla.restartWorker' }
        : this.lastRun
          ? { title: 'Show Bias Panel', command: 'gla.showBiasPanel' }
          : { title: 'Analyze Dataset', command: 'gla.analyzeDataset' };
    this.item.backgroundColor = this.workerState === 'stopped' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
