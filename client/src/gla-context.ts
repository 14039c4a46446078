// What every command gets: the extension's long-lived parts, created once in activate().
import * as vscode from 'vscode';
import type { BiasPanel } from './bias-panel';
import type { LastRun } from './last-run';
import type { GlaWorker } from './worker';

export interface GlaContext {
  extension: vscode.ExtensionContext;
  worker: GlaWorker;
  lastRun: LastRun;
  biasPanel: BiasPanel;
  output: vscode.LogOutputChannel;
}

/** Command arguments arrive as a Uri (Explorer, editor title), a string (other extensions, tests) or nothing (palette). */
export function asUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return /^[a-z][a-z0-9+.-]+:/i.test(arg) && !/^[a-z]:[\\/]/i.test(arg) ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  return undefined;
}

/** Shows the log when the user picks "Show Log" on a message. */
export function offerLog(ctx: GlaContext, choice: string | undefined): void {
  if (choice === 'Show Log') ctx.output.show(true);
}
