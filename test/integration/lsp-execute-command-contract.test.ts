// README's "Other editors: any LSP client" contract, held to the code: the gla.analyze request its JSON block shows is
// written as raw frames to the bundled server over stdio, with only the dataset URI replaced, and the answer, the
// progress and the notifications are the ones the README documents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeWorkspace, type TestWorkspace } from '../helpers/lsp-workspace';
import { modelFixture } from '../helpers/model-fixtures';
import { RawLspSession, type ServerMessage } from '../helpers/raw-lsp';
import { readmeBlock } from '../helpers/readme-blocks';
import type { AnalyzeResult } from '../../server/src/protocol';

const RUN_MS = 120_000;
/** The dataset URI the README's example names, which the test replaces with its own. */
const README_DATASET = 'file:///home/me/pets/gla.yaml';

interface DocumentedRequest {
  jsonrpc: '2.0';
  id: number;
  method: string;
  params: { command: string; arguments: [{ dataset: string }]; workDoneToken: string };
}

function documentedRequest(dataset: string): DocumentedRequest {
  const request = JSON.parse(readmeBlock('gla.analyze request', 'json')) as DocumentedRequest;
  assert.equal(request.params.arguments[0].dataset, README_DATASET, 'the README example names the dataset the test replaces');
  request.params.arguments[0].dataset = dataset;
  return request;
}

function manifest(): string {
  return [`model: ${JSON.stringify(modelFixture('tiny-clip'))}`, 'classes:', '  - folder: red circle', '  - folder: blue_square',
    '  - folder: grüne Dreiecke', '    prompt: green triangle', '  - folder: n04254680', '    prompt: yellow circle',
    'templates: ["a photo of a {}."]', ''].join('\n');
}

/** A fresh copy of the lsp-dataset fixture, and the server started in it as an editor would start it. */
async function start(t: { after(fn: () => Promise<void>): void }): Promise<{ ws: TestWorkspace; server: RawLspSession }> {
  const ws = makeWorkspace();
  writeFileSync(join(ws.shapes, 'gla.yaml'), manifest());
  const server = RawLspSession.start({ GLA_CACHE_DIR: ws.cacheDir });
  t.after(async () => {
    await server.stop();
    ws.remove();
  });
  server.answerServerRequests();
  const uri = pathToFileURL(ws.root).href;
  // The client could take a server-created progress; the server must still use the request's token.
  const init = await server.request('initialize', {
    processId: process.pid, rootUri: uri, workspaceFolders: [{ uri, name: 'ws' }], capabilities: { window: { workDoneProgress: true } },
  });
  assert.equal(init.error, undefined, JSON.stringify(init.error));
  server.notify('initialized', {});
  return { ws, server };
}

function responseTo(server: RawLspSession, id: number): Promise<ServerMessage> {
  return server.waitFor(`the response to request ${id}`, () => server.received.find((m) => m.id === id && m.method === undefined), RUN_MS);
}

test('the README\'s gla.analyze request: {runDir, summary}, $/progress on its workDoneToken, then gla/runFinished', async (t) => {
  const { ws, server } = await start(t);
  const request = documentedRequest(pathToFileURL(join(ws.shapes, 'gla.yaml')).href);
  server.send(request as unknown as Record<string, unknown>);
  const response = await responseTo(server, request.id);
  assert.equal(response.error, undefined, JSON.stringify(response.error));

  const result = response.result as AnalyzeResult;
  assert.deepEqual(Object.keys(result).sort(), ['runDir', 'summary']);
  const { summary } = result;
  assert.deepEqual(Object.keys(summary).sort(),
    ['classes', 'failed', 'finetuned', 'images', 'labelFree', 'labelIssues', 'leastFavoured', 'mostFavoured', 'reportPath', 'runId', 'top1']);
  assert.deepEqual(Object.keys(summary.top1).sort(), ['debiased', 'ensemble', 'finetuned', 'gla', 'zeroShot']);
  assert.equal(result.runDir, join(ws.root, '.gla', 'runs', summary.runId), 'the default run folder is <workspace folder>/.gla/runs/<id>/');
  assert.equal(summary.reportPath, join(result.runDir, 'report.json'));
  assert.ok(existsSync(summary.reportPath), summary.reportPath);
  assert.equal(summary.classes, 4);
  assert.equal(summary.images, 33);
  assert.equal(summary.labelFree, false);
  assert.equal(summary.finetuned, 'fine-tuned (probe)');
  assert.equal(summary.mostFavoured.length, 3);
  assert.equal(summary.leastFavoured.length, 3);

  // Progress goes to the request's token, begin → report… → end, all before the answer; none is created.
  const token = request.params.workDoneToken;
  const progressAt = server.received.flatMap((m, i) => (m.method === '$/progress' && (m.params as { token: unknown }).token === token ? [i] : []));
  const values = progressAt.map((i) => (server.received[i].params as { value: { kind: string; title?: string; cancellable?: boolean; percentage?: number; message?: string } }).value);
  assert.equal(values[0]?.kind, 'begin', JSON.stringify(values));
  assert.equal(values[0].title, 'GLA: Analyzing shapes');
  assert.equal(values[0].cancellable, true);
  const reports = values.filter((v) => v.kind === 'report');
  assert.ok(reports.some((r) => /^embedding images/.test(r.message ?? '')), JSON.stringify(reports));
  assert.equal(reports.at(-1)?.message, `${summary.images} images, ${summary.classes} classes, ${summary.labelIssues} suspected label errors`);
  assert.equal(values.at(-1)!.kind, 'end');
  assert.ok(progressAt.at(-1)! < server.received.indexOf(response), 'end comes before the answer');
  assert.equal(server.received.filter((m) => m.method === 'window/workDoneProgress/create').length, 0, 'no server-created progress');

  const finished = await server.waitFor('gla/runFinished', () => server.received.find((m) => m.method === 'gla/runFinished'), RUN_MS);
  assert.deepEqual(finished.params, { runDir: result.runDir, reportPath: summary.reportPath, summary });
  const status = server.received.find((m) => m.method === 'gla/status' && (m.params as { model?: string }).model);
  assert.ok(status, 'gla/status names the model after the run');
  assert.deepEqual(Object.keys(status.params as object).sort(), ['executionProvider', 'model']);
});

test('the README\'s gla.analyze request for a dataset that does not exist gets the documented error', async (t) => {
  const { ws, server } = await start(t);
  const missing = join(ws.root, 'pets', 'gla.yaml');
  const request = documentedRequest(pathToFileURL(missing).href);
  server.send(request as unknown as Record<string, unknown>);
  const response = await responseTo(server, request.id);
  const documented = JSON.parse(readmeBlock('missing dataset response', 'json')) as { id: number; error: { code: number; message: string } };
  assert.equal(documented.id, request.id, 'the README answers its own request');
  assert.deepEqual(response.error, { ...documented.error, message: documented.error.message.replace(fileURLToPath(README_DATASET), missing) });
  assert.equal(server.received.filter((m) => m.method === '$/progress').length, 0, 'a refused request starts no progress');
});
