// A quick fix carries the version of the text it was computed on, so an editor refuses it once the text has changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { CodeAction, Diagnostic, TextDocumentEdit } from 'vscode-languageserver-protocol';
import { LspTestClient, uriOf } from '../helpers/lsp-client';
import { makeWorkspace, serverInWorkspace } from '../helpers/lsp-workspace';

// flat/ has class folders cat and dog, not cow: the manifest has a missing-folder error to fix.
const BEFORE = 'classes:\n  - folder: cat\n  - folder: cow\n';
const AFTER = 'classes:\n  - folder: cat\n  - folder: dog\n  - folder: cow\n';

async function removeClassFix(client: LspTestClient, uri: string): Promise<CodeAction> {
  await client.open(uri, BEFORE);
  await client.change(uri, AFTER);
  const [missing] = await client.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'missing-folder'));
  assert.equal(missing.range.start.line, 3, 'the diagnostic is on version 2, where the class moved down a line');
  const actions = await client.codeActions(uri, missing.range, [missing] as Diagnostic[]);
  const fix = actions.find((a) => a.title === "Remove class 'cow' from gla.yaml");
  assert.ok(fix, `a remove-class fix among ${actions.map((a) => a.title).join(', ')}`);
  return fix;
}

test('a code action edits the document at the version it was computed on', async (t) => {
  const { ws, client } = await serverInWorkspace(t);
  const uri = uriOf(join(ws.flat, 'gla.yaml'));
  const fix = await removeClassFix(client, uri);
  assert.equal(fix.edit?.changes, undefined, 'no unversioned changes beside the versioned edit');
  const [edit] = (fix.edit?.documentChanges ?? []) as TextDocumentEdit[];
  assert.deepEqual(edit.textDocument, { uri, version: 2 });
  assert.deepEqual(edit.edits, [{ range: { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } }, newText: '' }]);
});

test('a client without documentChanges gets the same edit as plain changes', async (t) => {
  const ws = makeWorkspace();
  const client = await LspTestClient.start({
    workspace: ws.root,
    initializationOptions: { cacheDir: ws.cacheDir },
    capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } } },
  });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  const uri = uriOf(join(ws.flat, 'gla.yaml'));
  const fix = await removeClassFix(client, uri);
  assert.equal(fix.edit?.documentChanges, undefined);
  assert.deepEqual(fix.edit?.changes, { [uri]: [{ range: { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } }, newText: '' }] });
});
