// The LanguageClient for the bundled worker (dist/server.js) over IPC: the lsp-sample layout, debug adds --inspect.
import * as vscode from 'vscode';
import { LanguageClient, RevealOutputChannelOn, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { VSCODE_CLIENT, type InitializationOptions } from '../../server/src/protocol';
import { SETTINGS_SECTION } from './settings';
import { WorkerCrashHandler, type CrashReport } from './worker-crash-handler';

/** The client id: VS Code reads `gla.trace.server` for the protocol trace because of it. */
export const CLIENT_ID = 'gla';
export const MANIFEST_LANGUAGE = 'gla-dataset';

export interface ClientHooks {
  output: vscode.LogOutputChannel;
  onCrash(report: CrashReport): void;
  onStartFailed(message: string): void;
}

export function createLanguageClient(context: vscode.ExtensionContext, hooks: ClientHooks): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { language: MANIFEST_LANGUAGE },
      { scheme: 'file', pattern: '**/gla.yaml' },
    ],
    // File watching is the worker's to ask for (it registers its own watchers dynamically).
    synchronize: { configurationSection: SETTINGS_SECTION },
    // Read at every (re)start, so a workspace trusted since the last start gets full features.
    initializationOptions: (): InitializationOptions => ({
      cacheDir: context.globalStorageUri.fsPath,
      trusted: vscode.workspace.isTrusted,
      // So the worker's hovers and messages name our command palette titles, which only this client has.
      client: VSCODE_CLIENT,
    }),
    outputChannel: hooks.output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: new WorkerCrashHandler(hooks.onCrash),
    initializationFailedHandler: (error) => {
      hooks.onStartFailed(error instanceof Error ? error.message : String(error));
      return false;
    },
    // Hovers may run one command of ours: the link to a class's row in the bias panel.
    markdown: { isTrusted: { enabledCommands: ['gla.showClassInBiasPanel'] }, supportHtml: false },
  };
  return new LanguageClient(CLIENT_ID, 'GLA Studio', serverOptions, clientOptions);
}
