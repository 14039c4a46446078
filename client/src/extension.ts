// Extension entry point: creates the long-lived parts, wires their events, and starts the worker without waiting.
import * as vscode from 'vscode';
import { ActiveManifest } from './active-manifest';
import { BiasPanel } from './bias-panel';
import { registerCommands } from './commands';
import type { GlaContext } from './gla-context';
import { LastRun } from './last-run';
import { GlaStatusBar } from './status-bar';
import { trackWalkthroughProgress } from './walkthrough-progress';
import { GlaWorker } from './worker';
import type { CrashReport } from './worker-crash-handler';

let worker: GlaWorker | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const enteredAt = performance.now();
  const output = vscode.window.createOutputChannel('GLA', { log: true });
  const lastRun = new LastRun(context.workspaceState);
  // One watcher for every gla.yaml in the workspace, shared by the status bar's model and the walkthrough.
  const manifests = vscode.workspace.createFileSystemWatcher('**/gla.yaml');
  const activeManifest = new ActiveManifest(manifests);
  const statusBar = new GlaStatusBar(lastRun.current, activeManifest);
  worker = new GlaWorker(context, output, (crash) => reportCrash(crash, output));
  const ctx: GlaContext = { extension: context, worker, lastRun, biasPanel: new BiasPanel(context, output, worker), output };

  context.subscriptions.push(
    output,
    lastRun,
    manifests,
    activeManifest,
    statusBar,
    activeManifest.onDidChange(() => statusBar.manifestChanged()),
    trackWalkthroughProgress(manifests, lastRun),
    worker,
    ctx.biasPanel,
    ...registerCommands(ctx),
    // After a window reload VS Code hands back each bias panel with the state its page saved.
    vscode.window.registerWebviewPanelSerializer(BiasPanel.viewType, { deserializeWebviewPanel: (panel, state) => ctx.biasPanel.restore(panel, state) }),
    worker.onDidChangeState((state) => statusBar.setWorkerState(state)),
    worker.onStatus((status) => {
      statusBar.setStatus(status);
      if (status.notice) {
        output.warn(status.notice);
        void vscode.window.showWarningMessage(`GLA: ${status.notice}`);
      }
    }),
    worker.onRunFinished((run) => void lastRun.remember(run)),
    lastRun.onDidChange((run) => {
      statusBar.setLastRun(run);
      void ctx.biasPanel.refreshRun(run);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('gla')) statusBar.settingsChanged();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      output.info('workspace trusted: restarting the worker with models and downloads enabled');
      void worker?.restart();
    }),
  );

  // Activation time (target ≤ 200 ms): activate() itself, and until the worker has answered `initialize`.
  output.info(`activate() returned after ${(performance.now() - enteredAt).toFixed(1)} ms`);
  worker.ready().then(
    () => output.info(`worker ready ${(performance.now() - enteredAt).toFixed(1)} ms after activation began`),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      output.error(`the worker could not start: ${message}`);
      void vscode.window.showErrorMessage(`GLA: the worker could not start: ${message}`, 'Show Log').then((c) => {
        if (c) output.show(true);
      });
    },
  );
}

export function deactivate(): Promise<void> | undefined {
  return worker?.stop();
}

function reportCrash(crash: CrashReport, output: vscode.LogOutputChannel): void {
  if (crash.restarting) {
    output.warn(`the worker stopped unexpectedly (${crash.crashesInWindow} time(s) in 3 minutes); restarting it`);
    void vscode.window
      .showWarningMessage('GLA: the worker stopped unexpectedly and has been restarted. A run in progress was lost; run it again.', 'Show Log')
      .then((c) => c && output.show(true));
  } else {
    output.error(`the worker crashed ${crash.crashesInWindow} times in 3 minutes; not restarting it`);
    void vscode.window
      .showErrorMessage(`GLA: the worker crashed ${crash.crashesInWindow} times in 3 minutes and was not restarted.`, 'Restart Worker', 'Show Log')
      .then((c) => {
        if (c === 'Restart Worker') void vscode.commands.executeCommand('gla.restartWorker');
        else if (c) output.show(true);
      });
  }
}
