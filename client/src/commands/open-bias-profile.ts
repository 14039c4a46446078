// GLA: Open Bias Profile… — a published prior (a JSON of classes and prior, like CLIP's ImageNet q) or any run's
// report.json, in the bias panel.
import * as vscode from 'vscode';
import { asUri, type GlaContext } from '../gla-context';

export async function openBiasProfile(ctx: GlaContext, target?: unknown): Promise<void> {
  let uri = asUri(target);
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({
      title: 'GLA: Open Bias Profile',
      openLabel: 'Open Bias Profile',
      canSelectMany: false,
      filters: { 'Bias profile or report.json': ['json'] },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    uri = picked?.[0];
  }
  if (uri) await ctx.biasPanel.showFile(uri);
}
