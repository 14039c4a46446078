// GLA: Classify Folder… — labels a folder of new images with the last run's debiased (GLA) model.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { ClassifyCommand, type ClassifyArgs, type ClassifyResult } from '../../../server/src/protocol';
import { pickFolder } from '../dataset-picker';
import { asUri, offerLog, type GlaContext } from '../gla-context';
import { RunCancelledError, executeWithProgress, failureMessage } from '../progress-request';

export async function classifyFolder(ctx: GlaContext, target?: unknown): Promise<ClassifyResult | undefined> {
  const run = await ctx.lastRun.find();
  if (!run) {
    const choice = await vscode.window.showInformationMessage(
      'GLA: classifying uses a finished analysis (its prompts, prior and probe). Analyze a dataset first.',
      'Analyze Dataset…',
    );
    if (choice) void vscode.commands.executeCommand('gla.analyzeDataset');
    return undefined;
  }
  const folder = asUri(target) ?? (await pickFolder('Classify', 'Choose a folder of images to classify'));
  if (!folder) return undefined;
  const client = await ctx.worker.ready();
  const args: ClassifyArgs = { folder: folder.toString(), run: vscode.Uri.file(run.runDir).toString() };
  let result: ClassifyResult;
  try {
    result = await executeWithProgress(client, `GLA: classifying ${basename(folder.fsPath)}`, ClassifyCommand, args);
  } catch (err) {
    if (err instanceof RunCancelledError) {
      void vscode.window.showInformationMessage('GLA: classification cancelled.');
      return undefined;
    }
    const message = failureMessage(err);
    ctx.output.error(`classify ${folder.fsPath}: ${message}`);
    void vscode.window.showErrorMessage(`GLA: ${message}`, 'Show Log').then((c) => offerLog(ctx, c));
    return undefined;
  }
  const failed = result.failed ? `; ${result.failed} could not be read` : '';
  void vscode.window.showInformationMessage(`GLA: classified ${result.images} images${failed}.`, 'Open Predictions').then((choice) => {
    if (choice) void vscode.window.showTextDocument(vscode.Uri.file(result.predictionsPath));
  });
  return result;
}
