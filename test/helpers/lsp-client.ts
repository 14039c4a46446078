/// <reference path="../../server/src/types/vscode-languageserver.d.ts" />
// A plain LSP client over stdio for the integration tests: it starts the bundled server as any editor would.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  CancellationTokenSource, StreamMessageReader, StreamMessageWriter, createMessageConnection, type MessageConnection,
} from 'vscode-jsonrpc/node';
import {
  CodeActionRequest, CodeLensRefreshRequest, CodeLensRequest, CompletionRequest, DidChangeTextDocumentNotification, DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification, ExecuteCommandRequest, ExitNotification, HoverRequest, InitializeRequest,
  InitializedNotification, LogMessageNotification, PublishDiagnosticsNotification, ShutdownRequest,
  WorkDoneProgressCancelNotification, WorkDoneProgressCreateRequest,
  type ClientCapabilities, type CodeAction, type CodeLens, type Command, type CompletionItem, type CompletionList, type Diagnostic,
  type Hover, type InitializeResult, type Position, type ProgressToken, type PublishDiagnosticsParams, type Range,
  type ShowDocumentParams, type WorkDoneProgressBegin, type WorkDoneProgressEnd, type WorkDoneProgressReport,
} from 'vscode-languageserver-protocol';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serverPath } from './paths';

export type ProgressValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

export interface StartOptions {
  workspace: string;
  initializationOptions?: Record<string, unknown>;
  /** What workspace/configuration answers for section "gla"; omit to leave the capability out. */
  settings?: Record<string, unknown>;
  /** Defaults: workDoneProgress, resource rename operations. */
  capabilities?: ClientCapabilities;
  env?: NodeJS.ProcessEnv;
}

export function uriOf(path: string): string {
  return pathToFileURL(path).href;
}

function key(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

const WAIT_MS = 15_000;

export class LspTestClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly progress = new Map<ProgressToken, ProgressValue[]>();
  readonly createdProgress: ProgressToken[] = [];
  readonly log: string[] = [];
  readonly notifications: { method: string; params: unknown }[] = [];
  /** window/showDocument requests the server sent, answered with success. */
  readonly shownDocuments: ShowDocumentParams[] = [];
  /** How many workspace/codeLens/refresh requests the server sent. */
  codeLensRefreshes = 0;
  private readonly waiters = new Set<() => void>();
  private readonly versions = new Map<string, number>();
  initializeResult!: InitializeResult;

  private constructor(readonly connection: MessageConnection, readonly child: ChildProcess) {}

  static async start(options: StartOptions): Promise<LspTestClient> {
    const child = spawn(process.execPath, [serverPath, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspTestClient(connection, child);
    child.stderr!.on('data', (d: Buffer) => client.log.push(`[stderr] ${d.toString()}`));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
      client.diagnostics.set(key(p.uri), p);
      client.wake();
    });
    connection.onNotification(LogMessageNotification.type, (p) => {
      client.log.push(p.message);
    });
    // No handler is registered per token, so every $/progress arrives here.
    connection.onUnhandledProgress((p: { token: ProgressToken; value: ProgressValue }) => {
      const list = client.progress.get(p.token) ?? [];
      list.push(p.value);
      client.progress.set(p.token, list);
      client.wake();
    });
    connection.onNotification((method: string, params: unknown) => {
      client.notifications.push({ method, params });
      client.wake();
    });
    connection.onRequest(WorkDoneProgressCreateRequest.type, (p) => {
      client.createdProgress.push(p.token);
      client.wake();
    });
    connection.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
      p.items.map((i) => (i.section === 'gla' ? options.settings ?? null : null)),
    );
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest(CodeLensRefreshRequest.method, () => {
      client.codeLensRefreshes++;
      client.wake();
      return null;
    });
    // As an editor would: show the document, and say so.
    connection.onRequest('window/showDocument', (p: ShowDocumentParams) => {
      client.shownDocuments.push(p);
      client.wake();
      return { success: true };
    });
    connection.listen();
    const capabilities: ClientCapabilities = options.capabilities ?? {
      window: { workDoneProgress: true, showDocument: { support: true } },
      workspace: {
        configuration: options.settings !== undefined,
        workspaceEdit: { documentChanges: true, resourceOperations: ['create', 'rename', 'delete'] },
        codeLens: { refreshSupport: true },
      },
      textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } },
    };
    client.initializeResult = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: uriOf(options.workspace),
      workspaceFolders: [{ uri: uriOf(options.workspace), name: 'workspace' }],
      capabilities,
      initializationOptions: options.initializationOptions,
    });
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  private wake(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves with the first value `probe` returns that is not undefined, re-checked on every message. */
  waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; server log:\n${this.log.slice(-20).join('\n')}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** The diagnostics of a file once `accept` holds for them (and, for open documents, for the current version). */
  waitForDiagnostics(uri: string, accept: (d: Diagnostic[]) => boolean, what = 'diagnostics'): Promise<Diagnostic[]> {
    return this.waitFor(`${what} on ${uri}`, () => {
      const p = this.diagnostics.get(key(uri));
      if (!p) return undefined;
      const version = this.versions.get(key(uri));
      if (version !== undefined && p.version !== undefined && p.version !== version) return undefined;
      return accept(p.diagnostics) ? p.diagnostics : undefined;
    });
  }

  async open(uri: string, text: string, languageId = 'gla-dataset'): Promise<void> {
    this.versions.set(key(uri), 1);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
  }

  async change(uri: string, text: string): Promise<void> {
    const version = (this.versions.get(key(uri)) ?? 1) + 1;
    this.versions.set(key(uri), version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async close(uri: string): Promise<void> {
    this.versions.delete(key(uri));
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  hover(uri: string, position: Position): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }

  async completion(uri: string, position: Position): Promise<CompletionItem[]> {
    const r: CompletionItem[] | CompletionList | null = await this.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
    return Array.isArray(r) ? r : r?.items ?? [];
  }

  async codeLens(uri: string): Promise<CodeLens[]> {
    return (await this.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } })) ?? [];
  }

  async codeActions(uri: string, range: Range, diagnostics: Diagnostic[] = []): Promise<CodeAction[]> {
    const r = await this.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range, context: { diagnostics } });
    return (r ?? []).filter((a: Command | CodeAction): a is CodeAction => 'title' in a && !('command' in a && typeof a.command === 'string'));
  }

  /** Sends the command; `cancel` (when given) cancels the request itself. */
  executeCommand(command: string, args: unknown[], options: { workDoneToken?: ProgressToken; cancel?: CancellationTokenSource } = {}): Promise<unknown> {
    return this.connection.sendRequest(ExecuteCommandRequest.type, { command, arguments: args, workDoneToken: options.workDoneToken }, options.cancel?.token);
  }

  /** The user pressed Cancel on a server-created progress. */
  cancelProgress(token: ProgressToken): Promise<void> {
    return this.connection.sendNotification(WorkDoneProgressCancelNotification.type, { token });
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => {
      if (this.child.exitCode !== null) resolve(this.child.exitCode);
      else this.child.once('exit', (code) => resolve(code));
    });
    try {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 3000))]);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // The server is already gone; the exit code says how.
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const code = await exited;
    clearTimeout(timer);
    this.connection.dispose();
    return code;
  }
}

export { CancellationTokenSource };
