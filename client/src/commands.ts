// Registers every GLA command. Each handler's module loads on first use, which keeps activate() cheap.
import * as vscode from 'vscode';
import { offerLog, type GlaContext } from './gla-context';

/** Command ids as package.json contributes them. */
export const Commands = {
  analyzeDataset: 'gla.analyzeDataset',
  classifyFolder: 'gla.classifyFolder',
  /** Optional argument `{ runDir }` (the bias panel's run); default: the workspace's last run. */
  exportClassifier: 'gla.exportClassifier',
  showBiasPanel: 'gla.showBiasPanel',
  openBiasProfile: 'gla.openBiasProfile',
  /** Picks two runs of one dataset and shows their comparison in the later run's bias panel. */
  compareRuns: 'gla.compareRuns',
  selectModel: 'gla.selectModel',
  selectFinetuned: 'gla.selectFinetuned',
  downloadModel: 'gla.downloadModel',
  createManifest: 'gla.createManifest',
  openLastReport: 'gla.openLastReport',
  restartWorker: 'gla.restartWorker',
  /** The model: line's quick fix, from the language server: `[{ manifest: <gla.yaml file URI> }]`. */
  chooseModelFolder: 'gla.chooseModelFolder',
  /**
   * Opens (or reveals) a run's bias panel and selects, scrolls to and focuses one class's row. One argument:
   * `{ className: string, runDir?: string }` — className as report.json's classes[].name (the class folder), runDir
   * the run's folder (`.gla/runs/<id>`; default: the workspace's last run). Resolves to true when the row was found.
   * Hidden from the palette; hovers and code actions link to it as
   * `command:gla.showClassInBiasPanel?${encodeURIComponent(JSON.stringify([{ className, runDir }]))}`.
   */
  showClassInBiasPanel: 'gla.showClassInBiasPanel',
} as const;

type Handler = (ctx: GlaContext, ...args: unknown[]) => Promise<unknown>;

export function registerCommands(ctx: GlaContext): vscode.Disposable[] {
  const lazy = (load: () => Promise<Handler>) => async (...args: unknown[]) => {
    try {
      return await (await load())(ctx, ...args);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      ctx.output.error(`command failed: ${err instanceof Error && err.stack ? err.stack : message}`);
      void vscode.window.showErrorMessage(`GLA: ${message.split('\n')[0]}`, 'Show Log').then((c) => offerLog(ctx, c));
      return undefined;
    }
  };
  const register = (id: string, load: () => Promise<Handler>) => vscode.commands.registerCommand(id, lazy(load));
  return [
    register(Commands.analyzeDataset, async () => (await import('./commands/analyze-dataset')).analyzeDataset),
    register(Commands.classifyFolder, async () => (await import('./commands/classify-folder')).classifyFolder),
    register(Commands.exportClassifier, async () => (await import('./commands/export-classifier')).exportClassifier),
    register(Commands.showBiasPanel, async () => (await import('./commands/open-last-report')).showBiasPanel),
    register(Commands.showClassInBiasPanel, async () => (await import('./commands/show-class-in-bias-panel')).showClassInBiasPanel),
    register(Commands.compareRuns, async () => (await import('./commands/compare-runs')).compareTwoRuns),
    register(Commands.openBiasProfile, async () => (await import('./commands/open-bias-profile')).openBiasProfile),
    register(Commands.openLastReport, async () => (await import('./commands/open-last-report')).openLastReport),
    register(Commands.selectModel, async () => (await import('./commands/select-model')).selectModel),
    register(Commands.selectFinetuned, async () => (await import('./commands/select-finetuned')).selectFinetuned),
    register(Commands.downloadModel, async () => (await import('./commands/download-model')).downloadModel),
    register(Commands.createManifest, async () => (await import('./commands/create-manifest')).createManifest),
    register(Commands.chooseModelFolder, async () => (await import('./commands/choose-model-folder')).chooseModelFolder),
    register(Commands.restartWorker, async () => async (c: GlaContext) => {
      await c.worker.restart();
      void vscode.window.showInformationMessage('GLA: the worker has been restarted.');
    }),
  ];
}
