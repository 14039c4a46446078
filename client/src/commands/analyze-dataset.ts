// GLA: Analyze Dataset… — gla.analyze in the worker, with progress and Cancel, then a summary with next steps.
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { AnalyzeCommand, type AnalyzeArgs, type AnalyzeResult } from '../../../server/src/protocol';
import { pickDataset } from '../dataset-picker';
import { asUri, offerLog, type GlaContext } from '../gla-context';
import { RunCancelledError, executeWithProgress, failureMessage } from '../progress-request';
import { describeRun } from '../run-summary-text';

export async function analyzeDataset(ctx: GlaContext, target?: unknown): Promise<AnalyzeResult | undefined> {
  const dataset = await pickDataset(asUri(target), 'Analyze');
  return dataset ? analyze(ctx, dataset, {}) : undefined;
}

async function analyze(ctx: GlaContext, dataset: vscode.Uri, options: { labelFree?: boolean }): Promise<AnalyzeResult | undefined> {
  const name = basename(dataset.fsPath) === 'gla.yaml' ? basename(dirname(dataset.fsPath)) : basename(dataset.fsPath);
  const client = await ctx.worker.ready();
  const args: AnalyzeArgs = { dataset: dataset.toString(), ...(options.labelFree ? { labelFree: true } : {}) };
  ctx.output.info(`analyze ${dataset.fsPath}`);
  let result: AnalyzeResult;
  try {
    result = await executeWithProgress(client, `GLA: analyzing ${name}`, AnalyzeCommand, args);
  } catch (err) {
    if (err instanceof RunCancelledError) {
      ctx.output.info(`analyze ${dataset.fsPath}: cancelled`);
      void vscode.window.showInformationMessage(`GLA: analysis of ${name} cancelled.`);
      return undefined;
    }
    const message = failureMessage(err);
    ctx.output.error(`analyze ${dataset.fsPath}: ${message}`);
    // In Restricted Mode the worker refuses every run: trust is the only remedy. Otherwise a failure that names the
    // model (missing, broken, not downloadable) gets a way to pick another.
    // gla.yaml's classes over a folder without them: the user may have meant a label-free run, which they choose.
    const labelFreeOffer = /run label-free/.test(message) ? ['Run Label-Free'] : [];
    // A failure that names the fine-tuned model (gla.finetuned, gla.yaml's finetuned:) gets a way to pick another.
    const modelOffer = /fine-?tuned/i.test(message) ? ['Select Fine-tuned Model…'] : /\bmodel\b/i.test(message) ? ['Select Model…'] : [];
    const actions = vscode.workspace.isTrusted
      ? [...labelFreeOffer, ...modelOffer, 'Show Log']
      : ['Manage Workspace Trust', 'Show Log'];
    void vscode.window.showErrorMessage(`GLA: ${message}`, ...actions).then((choice) => {
      if (choice === 'Run Label-Free') void analyze(ctx, dataset, { labelFree: true });
      else if (choice === 'Select Model…') void vscode.commands.executeCommand('gla.selectModel');
      else if (choice === 'Select Fine-tuned Model…') void vscode.commands.executeCommand('gla.selectFinetuned');
      else if (choice === 'Manage Workspace Trust') void vscode.commands.executeCommand('workbench.trust.manage');
      else offerLog(ctx, choice);
    });
    return undefined;
  }

  await ctx.lastRun.remember({ runDir: result.runDir, reportPath: result.summary.reportPath, summary: result.summary });
  ctx.output.info(`analyze ${dataset.fsPath}: done, ${result.runDir}`);
  // Not awaited: the command is done; the message waits for the user.
  void vscode.window.showInformationMessage(`GLA: ${describeRun(result.summary)}`, 'Show Bias Panel', 'Open Report').then((choice) => {
    if (choice === 'Show Bias Panel') void vscode.commands.executeCommand('gla.showBiasPanel');
    else if (choice === 'Open Report') void vscode.commands.executeCommand('gla.openLastReport');
  });
  return result;
}
