// GLA: Open Last Report and GLA: Show Bias Panel — both start from the workspace's most recent run.
import * as vscode from 'vscode';
import type { GlaContext } from '../gla-context';
import type { RunRecord } from '../last-run';

async function lastRunOrHint(ctx: GlaContext): Promise<RunRecord | undefined> {
  const run = await ctx.lastRun.find();
  if (!run) {
    const choice = await vscode.window.showInformationMessage('GLA: no analysis has run in this workspace yet.', 'Analyze Dataset…');
    if (choice) void vscode.commands.executeCommand('gla.analyzeDataset');
  }
  return run;
}

export async function openLastReport(ctx: GlaContext): Promise<void> {
  const run = await lastRunOrHint(ctx);
  if (run) await vscode.window.showTextDocument(vscode.Uri.file(run.reportPath), { preview: false });
}

export async function showBiasPanel(ctx: GlaContext): Promise<void> {
  const run = await lastRunOrHint(ctx);
  if (run) await ctx.biasPanel.show(run);
}
