// GLA: Export Classifier… — the run's GLA classifier as an ONNX image-classification folder. The server writes it
// (gla.export, in its job thread); here only the run, the target folder and the summary.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { ExportCommand, type ExportArgs, type ExportResult } from '../../../server/src/protocol';
import { offerLog, type GlaContext } from '../gla-context';
import { RunCancelledError, executeWithProgress, failureMessage } from '../progress-request';

/** `{runDir}` from the bias panel; from the palette, the workspace's last run. */
export async function exportClassifier(ctx: GlaContext, target?: unknown): Promise<ExportResult | undefined> {
  const given = typeof target === 'object' && target && typeof (target as { runDir?: unknown }).runDir === 'string' ? (target as { runDir: string }).runDir : undefined;
  const runDir = given ?? (await ctx.lastRun.find())?.runDir;
  if (!runDir) {
    const choice = await vscode.window.showInformationMessage('GLA: exporting takes a finished analysis (its prompts, prior and probe). Analyze a dataset first.', 'Analyze Dataset…');
    if (choice) void vscode.commands.executeCommand('gla.analyzeDataset');
    return undefined;
  }
  // Beside the workspace's .gla folder, a name that is free: the export refuses a folder that exists.
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? dirname(dirname(dirname(runDir)));
  let name = `gla-classifier-${basename(runDir)}`;
  for (let k = 2; existsSync(join(workspace, name)); k++) name = `gla-classifier-${basename(runDir)}-${k}`;
  const out = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(join(workspace, name)),
    saveLabel: 'Export',
    title: 'Export the GLA classifier as an ONNX model folder (a new folder)',
  });
  if (!out) return undefined;
  const client = await ctx.worker.ready();
  const args: ExportArgs = { run: vscode.Uri.file(runDir).toString(), out: out.toString() };
  let result: ExportResult;
  try {
    result = await executeWithProgress(client, `GLA: exporting the classifier to ${basename(out.fsPath)}`, ExportCommand, args);
  } catch (err) {
    if (err instanceof RunCancelledError) {
      void vscode.window.showInformationMessage('GLA: export cancelled.');
      return undefined;
    }
    const message = failureMessage(err);
    ctx.output.error(`export ${runDir}: ${message}`);
    void vscode.window.showErrorMessage(`GLA: ${message}`, 'Show Log').then((c) => offerLog(ctx, c));
    return undefined;
  }
  ctx.output.info(`exported ${result.model} (${result.variant}, ${result.layout}) to ${result.out}: ${result.files.join(', ')}`);
  const what = result.layout === 'one-graph' ? 'onnx/model.onnx (pixel_values → logits), config.json, preprocessor_config.json' : result.files.join(', ');
  void vscode.window
    .showInformationMessage(`GLA: exported the ${result.model} classifier (${result.classes} classes, ${result.variant}) to ${result.out}: ${what}.`, 'Reveal in Explorer')
    .then((choice) => {
      if (choice) void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(result.out));
    });
  return result;
}
