// LSP wiring only; features live in lsp/. Started as `node dist/server.js --stdio` (any client) or --node-ipc (VS Code).
import {
  CodeActionKind, DidChangeConfigurationNotification, DidChangeWatchedFilesNotification, ErrorCodes, FileChangeType,
  ProposedFeatures, ResponseError, TextDocumentSyncKind, TextDocuments, WatchKind, createConnection, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AnalysisCommands } from './lsp/runs/analysis-commands';
import { isJobThread, runJobFromThisThread } from './lsp/runs/analysis-thread';
import { PromptLabThread, isPromptLabThread, runPromptLabFromThisThread } from './lsp/runs/prompt-lab-thread';
import { PromptLabLensProvider } from './lsp/manifest/prompt-lab-lens';
import { labelIssueCodeActions, manifestCodeActions } from './lsp/manifest/code-actions';
import { manifestCompletions } from './lsp/manifest/completion';
import { clientWording, type ClientWording } from './lsp/client-wording';
import { executeCommand } from './lsp/custom-messages';
import { commandRoutes } from './lsp/command-routes';
import { manifestHover } from './lsp/manifest/hover';
import { MODEL_PROBLEMS, modelCodeActions } from './lsp/manifest/model-actions';
import { nearbyModelFolders } from './clip/models';
import { InitializationGate } from './lsp/initialization-gate';
import { answerInOneLine, errorDetail } from './lsp/internal-errors';
import { LabelIssuePublisher } from './lsp/runs/label-issue-diagnostics';
import { reviewedAmong } from './store/reviewed';
import { ManifestContexts } from './lsp/manifest/manifest-context';
import { ManifestDiagnostics } from './lsp/manifest/manifest-diagnostics';
import { RunResults } from './lsp/runs/run-results';
import { SettingsReader } from './lsp/settings';
import { TokenizerCache } from './lsp/manifest/tokenizers';
import { fileUri, isManifestDocument, uriPath } from './lsp/uris';
import { WorkspaceFolders } from './lsp/workspace-folders';
import { parseManifest } from './dataset/manifest';
import { VSCODE_CLIENT, type InitializationOptions } from './protocol';
import { dirname } from 'node:path';
import { VERSION } from './version';

// Edits to files on disk (class folders appearing, images moving) re-check open manifests after this quiet period.
const WATCH_DEBOUNCE_MS = 300;

function startLanguageServer(): void {
  const gate = new InitializationGate();
  const connection = createConnection(ProposedFeatures.all, { messageStrategy: gate });
  const logError = (line: string) => connection.console.error(line);
  const documents = new TextDocuments(TextDocument);
  const runs = new RunResults();
  const tokenizers = new TokenizerCache();
  let settings!: SettingsReader;
  let workspace!: WorkspaceFolders;
  let manifests!: ManifestDiagnostics;
  let contexts!: ManifestContexts;
  let labelIssues!: LabelIssuePublisher;
  let commands!: AnalysisCommands;
  let promptLab!: PromptLabLensProvider;
  const labThread = new PromptLabThread((line) => connection.console.log(line));
  let wording!: ClientWording;
  let ourClient = false;
  let canRenameFiles = false;
  let versionedEdits = false;
  let showDocument = false;
  let dynamicConfiguration = false;
  let dynamicWatch = false;
  let workspaceFolderEvents = false;

  const isManifest = (uri: string) => isManifestDocument(uri, documents.get(uri)?.languageId);
  const revalidateOpenManifests = () => {
    for (const doc of documents.all()) if (isManifest(doc.uri)) void manifests.validate(doc.uri);
  };

  connection.onInitialize((params): InitializeResult => {
    if (gate.isOpen) throw new ResponseError(ErrorCodes.InvalidRequest, 'GLA: initialize was already sent');
    const init = (params.initializationOptions ?? {}) as InitializationOptions;
    const caps = params.capabilities;
    wording = clientWording(init);
    ourClient = init.client === VSCODE_CLIENT;
    settings = new SettingsReader(connection, caps.workspace?.configuration === true, init);
    workspace = new WorkspaceFolders(params.workspaceFolders, params.rootUri);
    labelIssues = new LabelIssuePublisher(
      (uri, diagnostics) => void connection.sendDiagnostics({ uri, diagnostics }),
      (root, paths) => reviewedAmong(workspace.rootFor(root), root, paths),
      (notice) => void connection.window.showWarningMessage(`GLA: ${notice}`),
    );
    contexts = new ManifestContexts(documents, settings, tokenizers, runs, workspace, wording);
    manifests = new ManifestDiagnostics(connection, documents, contexts, labelIssues);
    commands = new AnalysisCommands({
      connection,
      settings,
      runs,
      workspace,
      wording,
      showRun: async (run) => {
        await manifests.showRun(run);
        promptLab.runChanged();
      },
    });
    promptLab = new PromptLabLensProvider({ connection, documents, contexts, settings, lab: labThread, canRefresh: caps.workspace?.codeLens?.refreshSupport === true });
    canRenameFiles = caps.workspace?.workspaceEdit?.resourceOperations?.includes('rename') === true;
    versionedEdits = caps.workspace?.workspaceEdit?.documentChanges === true;
    showDocument = caps.window?.showDocument?.support === true;
    dynamicConfiguration = caps.workspace?.didChangeConfiguration?.dynamicRegistration === true;
    dynamicWatch = caps.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
    workspaceFolderEvents = caps.workspace?.workspaceFolders === true;
    gate.open();
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: [' ', '{'] },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.RefactorRewrite] },
        codeLensProvider: { resolveProvider: false },
        executeCommandProvider: { commands: commandRoutes(commands, connection, labelIssues, (root) => workspace.rootFor(root)).map((r) => r.command) },
        workspace: {
          workspaceFolders: { supported: true, changeNotifications: true },
          fileOperations: { didRename: { filters: [{ scheme: 'file', pattern: { glob: '**/*', matches: 'file' } }] } },
        },
      },
      serverInfo: { name: 'gla-studio', version: VERSION },
    };
  });

  connection.onInitialized(() => {
    readThreshold();
    if (dynamicConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'gla' });
    if (dynamicWatch) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*', kind: WatchKind.Create | WatchKind.Delete }],
      });
    }
    if (workspaceFolderEvents) connection.workspace.onDidChangeWorkspaceFolders((e) => workspace.change(e.added, e.removed));
  });

  const readThreshold = () => void settings.get().then((s) => labelIssues.setThreshold(s.labelIssueThreshold), () => undefined);
  connection.onDidChangeConfiguration(() => {
    settings?.changed();
    readThreshold();
    revalidateOpenManifests();
    for (const doc of documents.all()) if (isManifest(doc.uri)) promptLab.changed(doc.uri);
  });

  let watchTimer: NodeJS.Timeout | undefined;
  connection.onDidChangeWatchedFiles((e) => {
    // An image moved back (an undone "Move there") gets its label-issue warning again; one deleted loses it.
    for (const c of e.changes) {
      const path = uriPath(c.uri);
      if (path && c.type === FileChangeType.Created) labelIssues.restore(fileUri(path));
      if (path && c.type === FileChangeType.Deleted) labelIssues.forget(fileUri(path));
    }
    if (!e.changes.some((c) => c.type === FileChangeType.Created || c.type === FileChangeType.Deleted)) return;
    clearTimeout(watchTimer);
    watchTimer = setTimeout(() => {
      contexts.forgetChecks();
      revalidateOpenManifests();
    }, WATCH_DEBOUNCE_MS);
  });

  connection.workspace.onDidRenameFiles((e) => {
    for (const f of e.files) {
      const oldPath = uriPath(f.oldUri);
      const newPath = uriPath(f.newUri);
      if (oldPath) labelIssues.forget(fileUri(oldPath));
      if (newPath) labelIssues.restore(fileUri(newPath));
    }
  });

  // Fired on open as well as on each edit.
  documents.onDidChangeContent((e) => {
    if (!isManifest(e.document.uri)) return;
    manifests.validateSoon(e.document.uri);
    promptLab.changed(e.document.uri);
  });
  documents.onDidClose((e) => {
    promptLab.closed(e.document.uri);
    if (isManifestDocument(e.document.uri, e.document.languageId)) void manifests.validate(e.document.uri);
  });

  // A manifest over the size limit has no context, so these answer empty at once (manifest-limits.ts).
  connection.onHover(answerInOneLine('hover', logError, async (params) => {
    if (!isManifest(params.textDocument.uri)) return null;
    const context = await contexts.load(params.textDocument.uri);
    return context ? manifestHover(context, params.position) : null;
  }));

  connection.onCompletion(answerInOneLine('completion', logError, async (params) => {
    if (!isManifest(params.textDocument.uri)) return [];
    const context = await contexts.load(params.textDocument.uri);
    return context ? manifestCompletions(context, params.position) : [];
  }));

  connection.onCodeAction(answerInOneLine('code actions', logError, async (params) => {
    const doc = documents.get(params.textDocument.uri);
    if (doc && isManifest(doc.uri)) {
      const manifest = parseManifest(doc.getText());
      const actions = manifestCodeActions(params, doc, manifest, { versionedEdits, showDocument, panel: ourClient });
      if (params.context.diagnostics.some((d) => MODEL_PROBLEMS.has(String(d.code)))) {
        const root = uriPath(doc.uri);
        const folders = root ? await nearbyModelFolders(dirname(root)) : [];
        const selected = (await settings.get(doc.uri)).model;
        actions.push(...modelCodeActions(params, doc, manifest, { folders, selected, chooseFolder: ourClient, versionedEdits }));
      }
      return actions;
    }
    return labelIssueCodeActions(params, canRenameFiles);
  }));

  connection.onCodeLens(answerInOneLine('code lens', logError, (params) => (isManifest(params.textDocument.uri) ? promptLab.lenses(params.textDocument.uri) : [])));

  connection.onExecuteCommand(answerInOneLine('command', logError, (params, token, workDone) => executeCommand(commandRoutes(commands, connection, labelIssues, (root) => workspace.rootFor(root)), params, token, workDone)));

  // A bug in one handler is reported to the client's log; the server keeps serving.
  process.on('uncaughtException', (err) => logError(`gla: unexpected error: ${errorDetail(err)}`));
  process.on('unhandledRejection', (err) => logError(`gla: unexpected error: ${errorDetail(err)}`));

  gate.listen(connection);
  documents.listen(connection);
  connection.listen();
}

if (isJobThread()) runJobFromThisThread();
else if (isPromptLabThread()) runPromptLabFromThisThread();
else startLanguageServer();
