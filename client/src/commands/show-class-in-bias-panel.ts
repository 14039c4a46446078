// gla.showClassInBiasPanel: opens (or reveals) a run's bias panel and selects, scrolls to and focuses one class's row.
// The language server links here from hovers and code actions on gla.yaml's class lines.
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { GlaContext } from '../gla-context';

/** The argument as commands.ts documents it; anything else is refused with a message, never half-used. */
export interface ShowClassArgs {
  className: string;
  runDir?: string;
}

export function showClassArgs(arg: unknown): ShowClassArgs | undefined {
  const a = arg as Partial<ShowClassArgs> | undefined;
  if (!a || typeof a.className !== 'string' || !a.className) return undefined;
  if (a.runDir !== undefined && (typeof a.runDir !== 'string' || !a.runDir)) return undefined;
  return { className: a.className, runDir: a.runDir };
}

export async function showClassInBiasPanel(ctx: GlaContext, arg: unknown): Promise<boolean> {
  const args = showClassArgs(arg);
  if (!args) throw new Error('gla.showClassInBiasPanel takes { className: string, runDir?: string }');
  const last = await ctx.lastRun.find();
  const runDir = args.runDir ? resolve(args.runDir) : last?.runDir;
  if (!runDir) throw new Error('no analysis has run in this workspace yet, so there is no bias panel to show');
  // The last run's own panel when that is the run asked for; any other run opens as its report.json does.
  const key =
    last && resolve(last.runDir) === runDir
      ? await ctx.biasPanel.show(last, { keepIfShown: true })
      : await ctx.biasPanel.showFile(vscode.Uri.file(join(runDir, 'report.json')), undefined, { keepIfShown: true });
  if (!key) return false;
  const found = await ctx.biasPanel.selectClass(key, args.className);
  if (!found) void vscode.window.showInformationMessage(`GLA: the run has no class '${args.className}'.`);
  return found;
}
