// gla.yaml diagnostics as the user types, through the real bundled server over stdio (node dist/server.js --stdio).
import { fork } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IPCMessageReader, IPCMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspTestClient, uriOf } from '../helpers/lsp-client';
import { SHAPES_MANIFEST, makeWorkspace, placeRun, serverInWorkspace } from '../helpers/lsp-workspace';
import { serverPath } from '../helpers/paths';

const ERROR = 1;
const WARNING = 2;

type Span = [number, number, number, number];
interface Expected {
  code: string;
  severity: number;
  span: Span;
  message?: RegExp;
}

function shape(d: Diagnostic): { code: string; severity: number; span: Span } {
  return { code: String(d.code), severity: d.severity!, span: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character] };
}

/** Types `text` into the open gla.yaml and checks the diagnostics for that version, in order. */
async function check(client: LspTestClient, uri: string, text: string, expected: Expected[]): Promise<void> {
  await client.change(uri, text);
  const got = await client.waitForDiagnostics(uri, () => true, `diagnostics for:\n${text}`);
  assert.deepEqual(got.map(shape), expected.map(({ code, severity, span }) => ({ code, severity, span })), `for:\n${text}\ngot ${JSON.stringify(got)}`);
  expected.forEach((e, i) => {
    if (e.message) assert.match(got[i].message as string, e.message);
    assert.equal(got[i].source, 'gla');
  });
}

const TOO_LONG = Array(71).fill('a').join(' ');

// One table row per problem kind; each is typed into the same open document in turn.
const CASES: { name: string; text: string; expected: Expected[] }[] = [
  {
    name: 'a class folder that does not exist is an Error on its line',
    text: 'classes:\n  - folder: red circle\n  - folder: purple hexagon\n',
    expected: [{ code: 'missing-folder', severity: ERROR, span: [2, 12, 2, 26], message: /class folder 'purple hexagon' does not exist/ }],
  },
  {
    name: 'malformed YAML',
    text: 'classes: [red circle, blue_square\n',
    expected: [{ code: 'yaml-syntax', severity: ERROR, span: [0, 32, 0, 33] }],
  },
  {
    name: 'wrong types',
    text: 'model: [a, b]\nclasses: {red circle: 1}\n',
    expected: [
      { code: 'wrong-type', severity: ERROR, span: [0, 7, 0, 13], message: /model: expected a model id or folder, got a list/ },
      { code: 'wrong-type', severity: ERROR, span: [1, 9, 1, 24], message: /classes: expected a list/ },
    ],
  },
  {
    name: 'unknown keys',
    text: 'clases:\n  - red circle\ntemplate: ["a {}"]\n',
    expected: [
      { code: 'unknown-key', severity: WARNING, span: [0, 0, 0, 6], message: /did you mean 'classes'/ },
      // With no classes: the class folders are the classes, and one of them is a WordNet id.
      { code: 'wordnet-prompt', severity: WARNING, span: [0, 0, 0, 0], message: /1 class folder\(s\) are WordNet ids \(n04254680\)/ },
      { code: 'unknown-key', severity: WARNING, span: [2, 0, 2, 8], message: /did you mean 'templates'/ },
    ],
  },
  {
    name: 'duplicate classes',
    text: 'classes:\n  - folder: grüne Dreiecke\n  - blue_square\n  - grüne Dreiecke\n',
    expected: [{ code: 'duplicate-class', severity: ERROR, span: [3, 4, 3, 18], message: /listed twice \(first on line 2\)/ }],
  },
  {
    name: 'a template without {}',
    text: 'classes: [red circle]\ntemplates:\n  - a photo of a {}.\n  - a blurry photo\n',
    expected: [{ code: 'template-placeholder', severity: ERROR, span: [3, 4, 3, 18], message: /has no \{\}/ }],
  },
  {
    name: 'a WordNet id with no prompt',
    text: 'classes:\n  - folder: n04254680\n  - folder: red circle\n',
    expected: [{ code: 'wordnet-prompt', severity: WARNING, span: [1, 12, 1, 21], message: /WordNet id/ }],
  },
  {
    name: 'a prompt over 77 tokens, counted with the default model\'s tokenizer',
    text: `classes:\n  - folder: red circle\n    prompt: ${TOO_LONG}\ntemplates: ["a photo of a {}."]\n`,
    expected: [{ code: 'prompt-too-long', severity: WARNING, span: [2, 12, 2, 12 + TOO_LONG.length], message: /is 78 tokens; CLIP reads only 77/ }],
  },
  {
    name: "a finetuned: path that is neither a model folder nor a logits PREFIX is a Warning on its value",
    text: 'classes: [red circle]\nfinetuned: ../models/vit-shapes\n',
    expected: [{ code: 'missing-finetuned', severity: WARNING, span: [1, 11, 1, 31], message: /finetuned '\.\.\/models\/vit-shapes' is neither a model folder nor a logits PREFIX/ }],
  },
  {
    name: 'a split folder that does not exist',
    text: 'splits: {train: train, test: holdout}\nclasses: [red circle]\n',
    expected: [{ code: 'missing-split-folder', severity: ERROR, span: [0, 29, 0, 36], message: /test split folder 'holdout' does not exist/ }],
  },
];

test('each manifest problem is a diagnostic at its exact range, and fixing the file clears them', async (t) => {
  const ws = makeWorkspace({ tokenizerInCache: true });
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: true } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  await client.open(uri, SHAPES_MANIFEST);
  assert.deepEqual(await client.waitForDiagnostics(uri, () => true), [], 'the fixture manifest is clean');
  for (const c of CASES) {
    await t.test(c.name, () => check(client, uri, c.text, c.expected));
  }
  await check(client, uri, SHAPES_MANIFEST, []);
});

test('a burst of edits ends with the diagnostics of the last version', async (t) => {
  const { ws, client } = await serverInWorkspace(t);
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  await client.open(uri, 'classes: [red circle]\n');
  // Each keystroke adds a character to a folder name that never exists; the last one makes it exist.
  const target = 'blue_square';
  for (let n = 1; n <= target.length; n++) await client.change(uri, `classes: [red circle, ${target.slice(0, n)}]\n`);
  const last = await client.waitForDiagnostics(uri, () => true);
  assert.deepEqual(last, []);
  assert.equal(client.diagnostics.get(join(ws.shapes, 'gla.yaml'))?.version, target.length + 1);
});

test('files named gla.yaml are checked whatever their language id; other YAML is not; closing clears', async (t) => {
  const { ws, client } = await serverInWorkspace(t);
  const other = uriOf(join(ws.shapes, 'other.yaml'));
  await client.open(other, 'classes: 5\n', 'yaml');
  const manifest = uriOf(join(ws.flat, 'gla.yaml'));
  await client.open(manifest, 'classes: [cat, cow]\n', 'yaml');
  const got = await client.waitForDiagnostics(manifest, (d) => d.length > 0);
  assert.deepEqual(got.map(shape), [{ code: 'missing-folder', severity: ERROR, span: [0, 15, 0, 18] }]);
  // A gla-dataset document under another name is a manifest too.
  const renamed = uriOf(join(ws.flat, 'dataset.yaml'));
  await client.open(renamed, 'modle: x\n', 'gla-dataset');
  assert.deepEqual((await client.waitForDiagnostics(renamed, (d) => d.length > 0)).map((d) => d.code), ['unknown-key']);
  assert.equal(client.diagnostics.has(join(ws.shapes, 'other.yaml')), false);
  await client.close(manifest);
  assert.deepEqual(await client.waitForDiagnostics(manifest, (d) => d.length === 0), []);
});

test('restricted workspace: manifest diagnostics only; gla.analyze refuses with a clear message', async (t) => {
  const ws = makeWorkspace();
  // A finished run on disk, whose findings a trusted workspace would show.
  placeRun(ws.root, ws.shapes);
  writeFileSync(join(ws.shapes, 'gla.yaml'), SHAPES_MANIFEST);
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: false } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  await client.open(uri, SHAPES_MANIFEST.replace('n04254680', 'n99999999'));
  const got = await client.waitForDiagnostics(uri, (d) => d.length > 0);
  assert.deepEqual(got.map((d) => d.code), ['missing-folder'], 'no class-bias findings in restricted mode');
  await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }]), (err: Error & { code?: number }) => {
    // This client does not say it is our VS Code extension, so it is told the LSP way out, not VS Code's Trust.
    assert.match(err.message, /restricted mode.*Start the server without initializationOptions\.trusted: false/);
    assert.equal(err.code, -32600);
    return true;
  });
  await assert.rejects(client.executeCommand('gla.classify', [{ folder: uriOf(ws.flat), run: uriOf(ws.root) }]), /restricted mode/);
  assert.equal(client.createdProgress.length, 0, 'no progress was started');
});

test('settings come from workspace/configuration (section "gla"): the gla.templates setting drives the token check', async (t) => {
  const ws = makeWorkspace({ tokenizerInCache: true });
  const longTemplate = `${Array(74).fill('a').join(' ')} {}`;
  const client = await LspTestClient.start({
    workspace: ws.root,
    initializationOptions: { cacheDir: ws.cacheDir },
    settings: { templates: [longTemplate], model: 'clip-vit-base-patch32' },
  });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  // 74 + start + end + "red circle" (2) = 78 tokens with the setting's template ("x": 77, fits); gla.yaml names none.
  await client.open(uri, 'classes:\n  - folder: red circle\n  - folder: blue_square\n    prompt: x\n');
  const got = await client.waitForDiagnostics(uri, (d) => d.length > 0);
  assert.deepEqual(got.map(shape), [{ code: 'prompt-too-long', severity: WARNING, span: [1, 12, 1, 22] }]);
  assert.match(got[0].message as string, /is 78 tokens/);
  // Templates in gla.yaml win over the setting.
  await check(client, uri, 'classes:\n  - folder: red circle\ntemplates: ["a photo of a {}."]\n', []);
});

test('node dist/server.js --node-ipc serves the same protocol (how VS Code starts it)', async (t) => {
  const child = fork(serverPath, ['--node-ipc'], { silent: true });
  const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.listen();
  t.after(() => {
    connection.dispose();
    child.kill();
  });
  const result = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as {
    capabilities: { executeCommandProvider?: { commands: string[] }; hoverProvider?: boolean };
  };
  assert.deepEqual(result.capabilities.executeCommandProvider?.commands, ['gla.analyze', 'gla.classify', 'gla.export', 'gla.editPrompt', 'gla.markNotLabelError']);
  assert.equal(result.capabilities.hoverProvider, true);
  await connection.sendRequest('shutdown');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await connection.sendNotification('exit');
  assert.equal(await exited, 0);
});

test('a class folder created on disk clears its missing-folder error when the client reports the change', async (t) => {
  const { ws, client } = await serverInWorkspace(t);
  const uri = uriOf(join(ws.flat, 'gla.yaml'));
  await client.open(uri, 'classes: [cat, dog, cow]\n');
  assert.deepEqual((await client.waitForDiagnostics(uri, (d) => d.length > 0)).map((d) => d.code), ['missing-folder']);
  mkdirSync(join(ws.flat, 'cow'));
  await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(join(ws.flat, 'cow')), type: 1 }] });
  assert.deepEqual(await client.waitForDiagnostics(uri, (d) => d.length === 0), []);
});
