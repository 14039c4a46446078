// GLA: Compare Runs…: two runs of one dataset, picked in turn; the comparison opens in the later run's bias panel.
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import type { GlaContext } from '../gla-context';
import { compareRuns, inOrder } from '../run-comparison';
import { pickFirstRun, pickOtherRun, reportOf, workspaceRuns } from '../run-compare-pick';

export async function compareTwoRuns(ctx: GlaContext): Promise<boolean> {
  const last = await ctx.lastRun.find();
  const entries = await workspaceRuns(last?.runDir);
  const first = await pickFirstRun(entries);
  if (!first) return false;
  if (!first.run) {
    void vscode.window.showInformationMessage(`GLA: ${first.message}`);
    return false;
  }
  const second = await pickOtherRun(first.run, entries);
  if (!second) return false;
  if (!second.run) {
    void vscode.window.showInformationMessage(`GLA: ${second.message}`);
    return false;
  }
  const comparison = compareRuns(first.run, second.run);
  const later = inOrder(first.run, second.run)[1];
  ctx.output.info(`compare runs: ${comparison.before.runDir} → ${comparison.after.runDir}`);
  // The last run's own panel when the later run is the last run; any other run opens as its report.json does.
  const key =
    last && resolve(last.runDir) === resolve(later.run.runDir)
      ? await ctx.biasPanel.show(last, { keepIfShown: true })
      : await ctx.biasPanel.showFile(vscode.Uri.file(reportOf(later)), undefined, { keepIfShown: true });
  if (!key) return false;
  await ctx.biasPanel.showComparison(key, comparison);
  return true;
}
