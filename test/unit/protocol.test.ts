// protocol.ts's descriptors: one method string each, the commands the server registers, and send sites held to
// their params (the @ts-expect-error lines fail the build if a wrong params type ever compiles).
/// <reference path="../../server/src/types/vscode-languageserver.d.ts" />
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'vscode-languageserver';
import * as protocol from '../../server/src/protocol';
import { AnalysisCommands, type AnalysisCommandsDeps } from '../../server/src/lsp/runs/analysis-commands';
import { LabelIssuePublisher } from '../../server/src/lsp/runs/label-issue-diagnostics';
import { commandRoutes } from '../../server/src/lsp/command-routes';
import { commandRoute, executeCommand, notifyClient } from '../../server/src/lsp/custom-messages';
import { documentEdit } from '../../server/src/lsp/manifest/document-edit';
import type { onServerNotification } from '../../client/src/custom-messages';
import type { executeWithProgress } from '../../client/src/progress-request';

type Descriptor = protocol.NotificationType<unknown> | protocol.CommandType<unknown, unknown>;

function descriptors(): Descriptor[] {
  return (Object.values(protocol) as unknown[]).filter((v): v is Descriptor => typeof v === 'object' && v !== null && 'kind' in v);
}

test('every custom message has its own method string, in the gla namespace', () => {
  const all = descriptors();
  assert.deepEqual(all.map((d) => (d.kind === 'command' ? d.command : d.method)).sort(), ['gla.analyze', 'gla.classify', 'gla.editPrompt', 'gla.export', 'gla.markNotLabelError', 'gla/runFinished', 'gla/status']);
  for (const d of all) assert.equal(d.direction, d.kind === 'command' ? 'client→server' : 'server→client', JSON.stringify(d));
});

test('the server registers and answers exactly the command descriptors', async () => {
  const routes = commandRoutes(new AnalysisCommands({} as AnalysisCommandsDeps), {} as Connection, new LabelIssuePublisher(() => undefined), (root) => root);
  const commands = descriptors().filter((d): d is protocol.CommandType<unknown, unknown> => d.kind === 'command');
  assert.deepEqual(routes.map((r) => r.command), commands.map((c) => c.command));
  const noToken = {} as Parameters<typeof executeCommand>[2];
  const noProgress = {} as Parameters<typeof executeCommand>[3];
  await assert.rejects(executeCommand(routes, { command: 'gla.nothing' }, noToken, noProgress), (err: Error & { code?: number }) => {
    return err.code === -32602 && err.message === 'GLA: unknown command gla.nothing';
  });
});

test('an edit is pinned to the version it was computed on when the client supports documentChanges', () => {
  const doc = { uri: 'file:///d/gla.yaml', version: 7 };
  const edits = [{ range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, newText: '' }];
  assert.deepEqual(documentEdit(doc, edits, true), { documentChanges: [{ textDocument: doc, edits }] });
  assert.deepEqual(documentEdit(doc, edits, false), { changes: { [doc.uri]: edits } });
});

// Never called: it only has to type-check, and each @ts-expect-error must find its error.
export function wrongParamsDoNotCompile(connection: Connection, onNotification: typeof onServerNotification, execute: typeof executeWithProgress): void {
  void notifyClient(connection, protocol.StatusNotification, { notice: 'CUDA unavailable' });
  // @ts-expect-error a RunFinished's params on the status notification
  void notifyClient(connection, protocol.StatusNotification, { runDir: '/r', reportPath: '/r/report.json' });
  // @ts-expect-error a run's summary is required
  void notifyClient(connection, protocol.RunFinishedNotification, { runDir: '/r', reportPath: '/r/report.json' });
  const client = {} as Parameters<typeof onServerNotification>[0];
  onNotification(client, protocol.RunFinishedNotification, (p) => p.summary.runId);
  // @ts-expect-error the status notification's handler cannot expect a run
  onNotification(client, protocol.StatusNotification, (p: protocol.RunFinishedParams) => p.runDir);
  void execute(client, 'title', protocol.AnalyzeCommand, { dataset: 'file:///d' }).then((r) => r.summary.runId);
  // @ts-expect-error classify's arguments for analyze
  void execute(client, 'title', protocol.AnalyzeCommand, { folder: 'file:///f', run: 'file:///r' });
  // @ts-expect-error analyze answers AnalyzeResult, not ClassifyResult
  commandRoute(protocol.AnalyzeCommand, async (): Promise<protocol.ClassifyResult> => ({ predictionsPath: '/p.csv', images: 1, failed: 0 }));
}
