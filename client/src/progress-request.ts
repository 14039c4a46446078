// workspace/executeCommand through the worker, shown as a VS Code notification with a Cancel button.
// The client creates the work-done token (LSP client-initiated progress); Cancel sends $/cancelRequest.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LSPErrorCodes,
  ResponseError,
  WorkDoneProgress,
  type LanguageClient,
} from 'vscode-languageclient/node';
import type { CommandType } from '../../server/src/protocol';

/** $/progress values (written out: tsc's node10 resolution cannot see vscode-languageserver-protocol's types). */
interface WorkDoneValue {
  kind: 'begin' | 'report' | 'end';
  message?: string;
  percentage?: number;
}

export class RunCancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Runs one of the server's commands with [args]; the descriptor fixes the args' and the result's types. */
export async function executeWithProgress<A, R>(client: LanguageClient, title: string, command: CommandType<A, R>, args: NoInfer<A>): Promise<R> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const workDoneToken = `gla-${randomUUID()}`;
      let shown = 0;
      const listener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value: WorkDoneValue) => {
        if (value.kind === 'end') return;
        const v = value;
        // VS Code adds increments; LSP reports absolute percentages.
        const increment = v.percentage !== undefined ? Math.max(0, v.percentage - shown) : undefined;
        if (v.percentage !== undefined) shown = Math.max(shown, v.percentage);
        progress.report({ message: v.message, increment });
      });
      const onCancel = token.onCancellationRequested(() => progress.report({ message: 'Cancelling…' }));
      try {
        // The server answers the descriptor's result type (server/src/lsp/custom-messages.ts holds it to that).
        return (await client.sendRequest(ExecuteCommandRequest.type, { command: command.command, arguments: [args], workDoneToken }, token)) as R;
      } catch (err) {
        if (token.isCancellationRequested || isCancellation(err)) throw new RunCancelledError();
        throw err;
      } finally {
        listener.dispose();
        onCancel.dispose();
      }
    },
  );
}

function isCancellation(err: unknown): boolean {
  return (
    err instanceof vscode.CancellationError ||
    (err instanceof ResponseError && (err.code === LSPErrorCodes.RequestCancelled || err.code === LSPErrorCodes.ServerCancelled))
  );
}

/** The one line worth showing from a failed request (ResponseError messages are the worker's UserError lines),
 * without a leading "GLA:" or "gla:" since every message the extension shows starts with one. */
export function failureMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].replace(/^gla:\s*/i, '');
}
