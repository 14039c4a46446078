// Messages a client sends before initialize, written as raw frames to the bundled server's stdin: requests get
// ServerNotInitialized (-32002) in one plain line, notifications are dropped, and the server still initializes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/paths';
import { RawLspSession } from '../helpers/raw-lsp';

const SERVER_NOT_INITIALIZED = -32002;
/** A V8 stack frame: "    at fn (file.js:12:34)". */
const STACK_FRAME = /\n\s+at .+:\d+:\d+\)?/;
/** serverInfo.version is the release's, which the bundle was built from. */
const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

function folder(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gla-before-init-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function initializeParams(dir: string): Record<string, unknown> {
  const uri = pathToFileURL(dir).href;
  return { processId: process.pid, rootUri: uri, workspaceFolders: [{ uri, name: 'ws' }], capabilities: {} };
}

test('requests before initialize get -32002 in one line, and the server initializes afterwards', async (t) => {
  const dir = folder(t);
  const server = RawLspSession.start();
  t.after(() => server.stop());
  const uri = pathToFileURL(join(dir, 'gla.yaml')).href;
  const position = { line: 1, character: 4 };

  const early = await Promise.all([
    server.request('textDocument/hover', { textDocument: { uri }, position }),
    server.request('textDocument/completion', { textDocument: { uri }, position }),
    server.request('workspace/executeCommand', { command: 'gla.analyze', arguments: [{ dataset: pathToFileURL(dir).href }] }),
    // A method the server has no handler for is still "not initialized", not "method not found".
    server.request('textDocument/definition', { textDocument: { uri }, position }),
  ]);
  for (const response of early) {
    assert.equal(response.error?.code, SERVER_NOT_INITIALIZED, JSON.stringify(response));
    assert.match(response.error!.message, /^GLA: the server is not initialized yet; send initialize before (textDocument\/\w+|workspace\/executeCommand)$/);
    assert.doesNotMatch(response.error!.message, /\n|TypeError|Cannot read/);
  }

  const init = await server.request('initialize', initializeParams(dir));
  assert.equal(init.error, undefined, JSON.stringify(init.error));
  assert.deepEqual((init.result as { serverInfo: unknown }).serverInfo, { name: 'gla-studio', version: packageVersion });
  server.notify('initialized', {});

  const hover = await server.request('textDocument/hover', { textDocument: { uri }, position });
  assert.equal(hover.error, undefined, JSON.stringify(hover.error));
  assert.equal(hover.result, null);
  const again = await server.request('initialize', initializeParams(dir));
  assert.match(again.error?.message ?? '', /already sent/);
});

test('notifications before initialize are dropped: nothing crashes, nothing is logged, no document is kept', async (t) => {
  const dir = folder(t);
  const server = RawLspSession.start();
  t.after(() => server.stop());
  server.answerServerRequests();
  const early = pathToFileURL(join(dir, 'early', 'gla.yaml')).href;
  // Broken YAML: had the server kept this document, it would publish a yaml-syntax error on it.
  server.notify('textDocument/didOpen', { textDocument: { uri: early, languageId: 'gla-dataset', version: 1, text: 'classes: [a, b\n' } });
  server.notify('textDocument/didChange', { textDocument: { uri: early, version: 2 }, contentChanges: [{ text: 'classes: [a, b, c\n' }] });
  server.notify('workspace/didChangeConfiguration', { settings: {} });
  server.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: early, type: 1 }] });
  server.notify('initialized', {});

  await server.request('initialize', initializeParams(dir));
  server.notify('initialized', {});
  // A document opened properly afterwards is checked; by the time its diagnostics arrive, the early one's would have.
  const later = pathToFileURL(join(dir, 'later', 'gla.yaml')).href;
  server.notify('textDocument/didOpen', { textDocument: { uri: later, languageId: 'gla-dataset', version: 1, text: 'classes: [a, b\n' } });
  await server.waitFor('diagnostics on the later document', () =>
    server.received.find((m) => m.method === 'textDocument/publishDiagnostics' && (m.params as { uri: string }).uri === later));
  await new Promise((r) => setTimeout(r, 300));

  const published = server.received.filter((m) => m.method === 'textDocument/publishDiagnostics').map((m) => (m.params as { uri: string }).uri);
  assert.ok(!published.includes(early), `the early document was kept: ${published.join(', ')}`);
  assert.deepEqual(server.logLines().filter((l) => /fail|error/i.test(l)), []);
  assert.equal(server.child.exitCode, null, 'the server exited');
});

test('with GLA_DEBUG unset, nothing the server sends carries a stack trace, even for a bug in a handler', async (t) => {
  const dir = folder(t);
  const server = RawLspSession.start();
  t.after(() => server.stop());
  server.answerServerRequests();
  const uri = pathToFileURL(join(dir, 'gla.yaml')).href;
  await server.request('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
  await server.request('initialize', initializeParams(dir));
  server.notify('initialized', {});
  server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'gla-dataset', version: 1, text: 'classes:\n  - dog\n' } });

  // A code action request without its `context` makes the handler throw a TypeError: a stand-in for any bug.
  const range = { start: { line: 1, character: 0 }, end: { line: 1, character: 7 } };
  const failed = await server.request('textDocument/codeAction', { textDocument: { uri }, range });
  assert.equal(failed.error?.code, -32603, JSON.stringify(failed));
  assert.match(failed.error!.message, /^GLA: code actions failed: [^\n]+$/);
  await server.waitFor('the log line about it', () => server.logLines().find((l) => l.includes('code actions failed')));
  const unknown = await server.request('workspace/executeCommand', { command: 'gla.nothing', arguments: [] });
  assert.match(unknown.error?.message ?? '', /^GLA: unknown command gla\.nothing$/);

  for (const m of server.received) {
    const text = [m.error?.message, (m.params as { message?: string } | undefined)?.message].filter(Boolean).join('\n');
    assert.doesNotMatch(text, STACK_FRAME, `a stack trace reached the client:\n${text}`);
  }
});

test('with GLA_DEBUG=1 the same bug logs its stack, and the response stays one line', async (t) => {
  const dir = folder(t);
  const server = RawLspSession.start({ GLA_DEBUG: '1' });
  t.after(() => server.stop());
  server.answerServerRequests();
  const uri = pathToFileURL(join(dir, 'gla.yaml')).href;
  await server.request('initialize', initializeParams(dir));
  server.notify('initialized', {});
  server.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'gla-dataset', version: 1, text: 'classes:\n  - dog\n' } });
  const range = { start: { line: 1, character: 0 }, end: { line: 1, character: 7 } };
  const failed = await server.request('textDocument/codeAction', { textDocument: { uri }, range });
  assert.match(failed.error?.message ?? '', /^GLA: code actions failed: [^\n]+$/);
  const line = await server.waitFor('the log line about it', () => server.logLines().find((l) => l.includes('code actions failed')));
  assert.match(line, STACK_FRAME);
});
