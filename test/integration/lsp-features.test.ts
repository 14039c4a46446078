// Run findings, hover, completion and code actions in gla.yaml, through the real bundled server over stdio.
// The run is the fixture's finished report.json placed in <workspace>/.gla/runs/ (the server's loadRun path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeAction, Diagnostic, MarkupContent, Range, TextDocumentEdit, TextEdit } from 'vscode-languageserver-protocol';
import { LspTestClient, uriOf } from '../helpers/lsp-client';
import { modelFixture } from '../helpers/model-fixtures';
import { SHAPES_MANIFEST, expectedRun, makeWorkspace, placeRun, serverInWorkspace, type TestWorkspace } from '../helpers/lsp-workspace';

const WARNING = 2;
const INFORMATION = 3;

async function startWithRun(t: { after(fn: () => Promise<void>): void }, manifest = SHAPES_MANIFEST): Promise<{ ws: TestWorkspace; client: LspTestClient; uri: string }> {
  const ws = makeWorkspace({ tokenizerInCache: true });
  placeRun(ws.root, ws.shapes);
  writeFileSync(join(ws.shapes, 'gla.yaml'), manifest);
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: true } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  return { ws, client, uri: uriOf(join(ws.shapes, 'gla.yaml')) };
}

/** Applies non-overlapping edits to text (end to start). */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
  return text;
}

/** The action's edits to uri: a versioned TextDocumentEdit, since the test client supports documentChanges. */
function editsOf(action: CodeAction, uri: string): TextEdit[] {
  const edit = action.edit?.documentChanges?.find((c): c is TextDocumentEdit => 'textDocument' in c && c.textDocument.uri === uri);
  return (edit?.edits ?? []) as TextEdit[];
}

test('after a run, one finding per class on its line: Warnings where CLIP is strongly biased against it or its prompts miss it', async (t) => {
  const { ws, client, uri } = await startWithRun(t);
  await client.open(uri, SHAPES_MANIFEST);
  const expected = expectedRun();
  const got = await client.waitForDiagnostics(uri, (d) => d.length === expected.classes.length);
  // Class folders sit on lines 1, 3, 5, 7 of SHAPES_MANIFEST, after "  - folder: ".
  const lines = SHAPES_MANIFEST.split('\n');
  for (const [i, c] of expected.classes.entries()) {
    const line = 1 + 2 * i;
    const d = got.find((x) => x.range.start.line === line);
    assert.ok(d, `a finding on line ${line} for ${c.name}`);
    assert.deepEqual(d.range, { start: { line, character: 12 }, end: { line, character: lines[line].length } });
    assert.equal(d.severity, c.severity === 'warning' ? WARNING : INFORMATION, `${c.name}: ${d.message}`);
    const message = d.message as string;
    assert.ok(message.includes(`q = ${c.prior}`), `${message} names q = ${c.prior}`);
    assert.ok(message.includes(`log(C·q) = ${c.bias} nats`), `${message} names the bias ${c.bias}`);
    assert.ok(message.includes(`zero-shot ${c.recallZeroShot}`) && message.includes(`GLA ${c.recallGla}`), message);
    // A Warning names its finding: "biased against" only where q is well below uniform, else the prompts miss it.
    const against = Number(c.bias.replace('−', '-')) <= -1;
    if (c.severity === 'warning') assert.match(message, new RegExp(against ? `^CLIP is strongly biased against '${c.name}': q = ` : `^CLIP's prompts miss '${c.name}': zero-shot recall ${c.recallZeroShot} vs GLA ${c.recallGla}, `));
    if (!against) assert.doesNotMatch(message, /biased against/);
  }

  // The suspected label error is a Warning on the image file, pointing at the suggested class's line.
  const image = uriOf(join(ws.shapes, ...expected.labelIssue.path.split('/')));
  const [issue] = await client.waitForDiagnostics(image, (d) => d.length === 1);
  assert.equal(issue.severity, WARNING);
  assert.equal(issue.code, 'label-issue');
  assert.match(issue.message as string, new RegExp(`looks like '${expected.labelIssue.suggested}' \\(GLA confidence ${expected.labelIssue.confidence}\\)`));
  assert.equal(issue.relatedInformation?.length, 1);
  assert.equal(issue.relatedInformation![0].location.uri, uri);
  assert.deepEqual(issue.relatedInformation![0].location.range, { start: { line: 3, character: 12 }, end: { line: 3, character: 23 } });

  // Editing the manifest keeps the findings on the moved lines, next to the manifest problems.
  const edited = `model: clip-vit-base-patch32\n${SHAPES_MANIFEST}`;
  await client.change(uri, edited);
  const after = await client.waitForDiagnostics(uri, (d) => d.length === expected.classes.length);
  assert.deepEqual(after.map((d) => d.range.start.line).sort(), [2, 4, 6, 8]);
});

test('hover on a class: q, bias in nats, recall under each model the run has, support, and its prompt tokens', async (t) => {
  const { client, uri } = await startWithRun(t);
  await client.open(uri, SHAPES_MANIFEST);
  const hover = await client.hover(uri, { line: 4, character: 8 }); // "blue square" prompt line of blue_square
  assert.ok(hover, 'a hover');
  const text = (hover.contents as MarkupContent).value;
  const blue = expectedRun().classes.find((c) => c.name === 'blue_square')!;
  assert.match(text, /\*\*blue_square\*\*, prompted as “blue square”/);
  // "a photo of a blue square." = start + a photo of a blue square . + end = 9 tokens.
  assert.match(text, /Prompt tokens: 9 over 1 template \(CLIP reads 77\)/);
  assert.ok(text.includes(`q = ${blue.prior}`), text);
  assert.ok(text.includes(`bias log(C·q) = ${blue.bias} nats`), text);
  // The fixture predates the naive ensemble and report.finetuned: four models, the fine-tuned one the probe.
  assert.match(text, /\| \| zero-shot \| debiased \| fine-tuned \(probe\) \| GLA \|/);
  assert.match(text, /\| recall \| 0\.20 \| 0\.70 \| 0\.85 \| 0\.90 \|/);
  assert.match(text, /Support: train 4 · val 2 · test 2/);
  assert.match(text, /strongly biased against this class/);
  assert.deepEqual(hover.range, { start: { line: 3, character: 12 }, end: { line: 3, character: 23 } });
  assert.equal(await client.hover(uri, { line: 9, character: 3 }), null, 'no hover on the templates line');
});

test("hover after a five-model run: the naive ensemble's column, the fine-tuned model by its name", async (t) => {
  const ws = makeWorkspace({ tokenizerInCache: true });
  placeRun(ws.root, ws.shapes, (r) => {
    r.finetuned = { source: 'logits', path: '/data/logits/vit-shapes', sha256: 'c'.repeat(64), name: 'vit-shapes' };
    r.metrics.ensemble = { ...r.metrics.gla!, top1: 0.75 };
    for (const c of r.classes) {
      c.recall.ensemble = c.name === 'blue_square' ? 0.8 : null;
      c.precision.ensemble = c.name === 'blue_square' ? 0.625 : null;
    }
  });
  writeFileSync(join(ws.shapes, 'gla.yaml'), SHAPES_MANIFEST);
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: true } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  await client.open(uri, SHAPES_MANIFEST);
  const findings = await client.waitForDiagnostics(uri, (d) => d.length === expectedRun().classes.length);
  const blueFinding = findings.find((d) => d.range.start.line === 3)!;
  assert.match(blueFinding.message as string, /recall zero-shot 0\.20, debiased 0\.70, fine-tuned \(vit-shapes\) 0\.85, naive ensemble 0\.80, GLA 0\.90/);
  const hover = await client.hover(uri, { line: 4, character: 8 });
  const text = (hover!.contents as MarkupContent).value;
  assert.match(text, /\| \| zero-shot \| debiased \| fine-tuned \(vit-shapes\) \| naive ensemble \| GLA \|/);
  assert.match(text, /\|---\|---:\|---:\|---:\|---:\|---:\|/);
  assert.match(text, /\| recall \| 0\.20 \| 0\.70 \| 0\.85 \| 0\.80 \| 0\.90 \|/);
  assert.match(text, /\| precision \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 0\.63 \| [\d.]+ \|/);
  // A class the ensemble could not be scored on reads n/a in its column.
  const red = (await client.hover(uri, { line: 1, character: 14 }))!.contents as MarkupContent;
  assert.match(red.value, /\| recall \| [\d.]+ \| [\d.]+ \| [\d.]+ \| n\/a \| [\d.]+ \|/);

  // On gla.yaml's finetuned: line, the path it resolves to (relative to gla.yaml's folder).
  await client.change(uri, `${SHAPES_MANIFEST}finetuned: ../logits/vit-shapes\n`);
  const onPath = await client.hover(uri, { line: 10, character: 16 });
  assert.ok(onPath, 'a hover on finetuned:');
  assert.ok((onPath.contents as MarkupContent).value.includes(`\`${join(ws.root, 'logits', 'vit-shapes')}\``), (onPath.contents as MarkupContent).value);
  assert.deepEqual(onPath.range, { start: { line: 10, character: 11 }, end: { line: 10, character: 31 } });
});

test('hover without a run shows the token count and says how to get the numbers', async (t) => {
  const ws = makeWorkspace({ tokenizerInCache: true });
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  await client.open(uri, 'classes:\n  - grüne Dreiecke\ntemplates: ["a photo of a {}.", "a {}"]\n');
  const hover = await client.hover(uri, { line: 1, character: 6 });
  const text = (hover!.contents as MarkupContent).value;
  // No prompt: the folder name is the prompt. "a {}" → 2 + a + grüne + dre ie cke…; the range is what the tokenizer says.
  assert.match(text, /prompted as “grüne Dreiecke”/);
  assert.match(text, /Prompt tokens: \d+–\d+ over 2 templates/);
  // This client does not say it is our VS Code extension: it is told the LSP command, not a palette title.
  assert.match(text, /No run yet: run the `gla\.analyze` command \(workspace\/executeCommand\) to see q, bias and recall here\./);
  assert.doesNotMatch(text, /GLA: Analyze Dataset/);
});

test('hover without a run names the palette command to our own VS Code client', async (t) => {
  const ws = makeWorkspace();
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, client: 'gla-studio-vscode' } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  await client.open(uri, 'classes:\n  - red circle\n');
  const hover = await client.hover(uri, { line: 1, character: 6 });
  const text = (hover!.contents as MarkupContent).value;
  assert.match(text, /No run yet: run \*\*GLA: Analyze Dataset\*\* to see q, bias and recall here\./);
  assert.doesNotMatch(text, /gla\.analyze/);
});

test('completion: class folders not yet listed, the {} placeholder in templates, model ids, top-level keys', async (t) => {
  const { ws, client } = await serverInWorkspace(t);
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  const text = 'model: \nclasses:\n  - folder: red circle\n  - folder: \n  - \ntemplates:\n  - a photo of a \n';
  await client.open(uri, text);
  const folders = await client.completion(uri, { line: 3, character: 12 });
  assert.deepEqual(folders.map((c) => c.label), ['blue_square', 'grüne Dreiecke', 'n04254680']);
  // Names YAML would misread come quoted; plain names stay plain.
  assert.deepEqual(folders.map((c) => (c.textEdit as TextEdit).newText), ['blue_square', 'grüne Dreiecke', 'n04254680']);
  const bare = await client.completion(uri, { line: 4, character: 4 });
  assert.deepEqual(bare.map((c) => c.label), ['blue_square', 'grüne Dreiecke', 'n04254680']);
  const placeholder = await client.completion(uri, { line: 6, character: 18 });
  assert.deepEqual(placeholder.map((c) => c.label), ['{}']);
  const models = await client.completion(uri, { line: 0, character: 7 });
  assert.deepEqual(models.map((c) => c.label), ['clip-vit-base-patch32', 'clip-vit-base-patch16', 'clip-vit-large-patch14']);
  await client.change(uri, 'classes: [red circle]\nsp');
  const keys = await client.completion(uri, { line: 1, character: 2 });
  assert.deepEqual(keys.map((c) => c.label), ['model', 'finetuned', 'templates', 'splits']);
  const finetuned = keys.find((c) => c.label === 'finetuned')!;
  assert.match(String(finetuned.detail), /fine-tuned classifier to calibrate with GLA instead of the linear probe.*ONNX folder or a logits PREFIX/);
  assert.equal((finetuned.textEdit as TextEdit).newText, 'finetuned: ');
});

test('code actions: add a prompt: line, remove a class; applying them clears the diagnostics', async (t) => {
  const { ws, client } = await serverInWorkspace(t);
  const uri = uriOf(join(ws.shapes, 'gla.yaml'));
  const text = 'classes:\n  - folder: n04254680\n  - blue_square\n  - folder: purple hexagon\n    prompt: purple hexagon\n  - folder: red circle\n';
  await client.open(uri, text);
  const diagnostics = await client.waitForDiagnostics(uri, (d) => d.length === 2);
  const [wordnet, missing] = ['wordnet-prompt', 'missing-folder'].map((c) => diagnostics.find((d) => d.code === c)!);

  const forWordnet = await client.codeActions(uri, wordnet.range, [wordnet]);
  const addPrompt = forWordnet.find((a) => a.title === "Add a prompt: line for 'n04254680'")!;
  assert.equal(addPrompt.kind, 'quickfix');
  assert.equal(addPrompt.isPreferred, true);
  assert.deepEqual(addPrompt.diagnostics?.map((d: Diagnostic) => d.code), ['wordnet-prompt']);
  let next = applyEdits(text, editsOf(addPrompt, uri));
  assert.equal(next, 'classes:\n  - folder: n04254680\n    prompt: ""\n  - blue_square\n  - folder: purple hexagon\n    prompt: purple hexagon\n  - folder: red circle\n');

  // The bare `- blue_square` becomes a mapping with a prompt made from the folder name.
  const forBlue = await client.codeActions(uri, { start: { line: 2, character: 5 }, end: { line: 2, character: 5 } });
  const bluePrompt = forBlue.find((a) => a.title === "Add a prompt: line for 'blue_square'")!;
  assert.equal(bluePrompt.kind, 'refactor.rewrite');
  assert.equal(applyEdits(text, editsOf(bluePrompt, uri)).split('\n').slice(2, 4).join('\n'), '  - folder: blue_square\n    prompt: blue square');

  const forMissing = await client.codeActions(uri, missing.range, [missing]);
  const remove = forMissing.find((a) => a.title === "Remove class 'purple hexagon' from gla.yaml")!;
  assert.equal(remove.kind, 'quickfix');
  assert.equal(remove.isPreferred, true);
  assert.equal(applyEdits(text, editsOf(remove, uri)), 'classes:\n  - folder: n04254680\n  - blue_square\n  - folder: red circle\n');

  // As an editor would: apply the prompt fix, then ask again for the missing folder on the new text.
  await client.change(uri, next);
  const [moved] = (await client.waitForDiagnostics(uri, () => true)).filter((d) => d.code === 'missing-folder');
  assert.equal(moved.range.start.line, 4);
  const removeNow = (await client.codeActions(uri, moved.range, [moved])).find((a) => a.title.startsWith('Remove class'))!;
  next = applyEdits(next, editsOf(removeNow, uri));
  assert.equal(next, 'classes:\n  - folder: n04254680\n    prompt: ""\n  - blue_square\n  - folder: red circle\n');
  await client.change(uri, next);
  assert.deepEqual((await client.waitForDiagnostics(uri, () => true)).map((d) => d.code), ['empty-prompt']);
  await client.change(uri, next.replace('""', 'yellow circle'));
  assert.deepEqual(await client.waitForDiagnostics(uri, () => true), []);
});

test('a suspected label error offers to move the image into the suggested class folder', async (t) => {
  const { ws, client, uri } = await startWithRun(t);
  await client.open(uri, SHAPES_MANIFEST);
  const expected = expectedRun().labelIssue;
  const image = uriOf(join(ws.shapes, ...expected.path.split('/')));
  const diagnostics = await client.waitForDiagnostics(image, (d) => d.length === 1);
  const actions = await client.codeActions(image, diagnostics[0].range, diagnostics);
  assert.equal(actions.length, 1);
  assert.equal(actions[0].title, "Move image to class 'blue_square'");
  assert.deepEqual(actions[0].edit?.documentChanges, [
    { kind: 'rename', oldUri: image, newUri: uriOf(join(ws.shapes, 'train', 'blue_square', 'mislabelled.png')), options: { overwrite: false, ignoreIfExists: false } },
  ]);
  // A name already taken in the target folder gets a suffix, so nothing is overwritten.
  writeFileSync(join(ws.shapes, 'train', 'blue_square', 'mislabelled.png'), 'taken');
  const again = await client.codeActions(image, diagnostics[0].range, diagnostics);
  const change = again[0].edit?.documentChanges?.[0] as { newUri: string };
  assert.equal(change.newUri, uriOf(join(ws.shapes, 'train', 'blue_square', 'mislabelled-1.png')));
  // Once the client renames the file, the old path's warning goes.
  await client.connection.sendNotification('workspace/didRenameFiles', { files: [{ oldUri: image, newUri: change.newUri }] });
  assert.deepEqual(await client.waitForDiagnostics(image, (d) => d.length === 0), []);
  // Undo renames it back: the warning returns, as it was.
  await client.connection.sendNotification('workspace/didRenameFiles', { files: [{ oldUri: change.newUri, newUri: image }] });
  const back = await client.waitForDiagnostics(image, (d) => d.length === 1);
  assert.deepEqual(back, diagnostics);
  // An editor that reports the move as a delete and a create (a file watcher) gets the same.
  await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: image, type: 3 /* Deleted */ }] });
  assert.deepEqual(await client.waitForDiagnostics(image, (d) => d.length === 0), []);
  await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: image, type: 1 /* Created */ }] });
  assert.deepEqual(await client.waitForDiagnostics(image, (d) => d.length === 1), diagnostics);
});

test('a bias finding offers a better prompt, never removing the class; "Edit the prompt" selects it in the editor', async (t) => {
  const { client, uri } = await startWithRun(t);
  await client.open(uri, SHAPES_MANIFEST);
  const findings = await client.waitForDiagnostics(uri, (d) => d.length === expectedRun().classes.length);
  // blue_square: CLIP is strongly biased against it (−1.43 nats); its prompt is on line 4.
  const blue = findings.find((d) => d.range.start.line === 3)!;
  assert.equal(blue.code, 'bias-against-class');
  const actions = await client.codeActions(uri, blue.range, [blue]);
  assert.deepEqual(actions.filter((a) => a.title.startsWith('Remove class')), [], 'removing a class does not fix a bias');
  const edit = actions.find((a) => a.title === "Edit the prompt of 'blue_square'");
  assert.ok(edit, `an edit-prompt action among ${actions.map((a) => a.title).join(', ')}`);
  assert.equal(edit.kind, 'quickfix');
  assert.deepEqual(edit.diagnostics?.map((d: Diagnostic) => d.code), ['bias-against-class']);
  const command = edit.command!;
  const answer = await client.executeCommand(command.command, command.arguments ?? []);
  assert.deepEqual(answer, { shown: true });
  const shown = await client.waitFor('window/showDocument', () => client.shownDocuments[0]);
  assert.equal(shown.uri, uri);
  assert.deepEqual(shown.selection, { start: { line: 4, character: 12 }, end: { line: 4, character: 23 } }, 'the text "blue square"');
  // A finding on a class without a prompt: the fix is to add one.
  const bare = SHAPES_MANIFEST.replace('    prompt: blue square\n', '');
  await client.change(uri, bare);
  const again = await client.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'bias-against-class' && x.range.start.line === 3));
  const bareBlue = again.find((d) => d.range.start.line === 3)!;
  const add = (await client.codeActions(uri, bareBlue.range, [bareBlue])).find((a) => a.title === "Add a prompt: line for 'blue_square'");
  assert.equal(add?.kind, 'quickfix');
  assert.equal(add?.isPreferred, true);
});

test('a misspelt class folder: "did you mean" names the folder, and a quick fix puts it in place', async (t) => {
  const { client, uri } = await startWithRun(t);
  const text = SHAPES_MANIFEST.replace('folder: blue_square', 'folder: blue_sqare');
  await client.open(uri, text);
  const missing = (await client.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'missing-folder'))).find((d) => d.code === 'missing-folder')!;
  assert.match(missing.message as string, /class folder 'blue_sqare' does not exist .* — did you mean 'blue_square'\?/);
  const actions = await client.codeActions(uri, missing.range, [missing]);
  const change = actions.find((a) => a.title === "Change to 'blue_square'")!;
  assert.ok(change, actions.map((a) => a.title).join(', '));
  assert.equal(change.isPreferred, true);
  assert.equal(actions.find((a) => a.title.startsWith('Remove class'))?.isPreferred, false, 'removal stays offered, second');
  const [docEdit] = change.edit!.documentChanges as { edits: { range: Range; newText: string }[] }[];
  assert.deepEqual(docEdit.edits, [{ range: missing.range, newText: 'blue_square' }]);
});

test('completing model: offers the folders near gla.yaml that hold a model, before the known ids', async (t) => {
  const { ws, client, uri } = await startWithRun(t);
  // A model folder inside the dataset and one beside it, as the sample and a repository keep them.
  const inside = join(ws.shapes, 'models', 'tiny-clip');
  cpSync(modelFixture('tiny-clip'), inside, { recursive: true });
  cpSync(modelFixture('tiny-clip'), join(ws.root, 'models', 'vit-test'), { recursive: true });
  const text = `model: \n${SHAPES_MANIFEST}`;
  await client.open(uri, text);
  const items = await client.completion(uri, { line: 0, character: 7 });
  const labels = items.map((i) => i.label);
  assert.deepEqual(labels.slice(0, 2).sort(), ['../models/vit-test', 'models/tiny-clip']);
  assert.ok(labels.includes('clip-vit-base-patch32'), 'the known ids follow');
  const sorted = [...items].sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label));
  assert.equal(sorted[0].kind, 19 /* CompletionItemKind.Folder */);
  assert.ok(sorted.findIndex((i) => i.label === 'clip-vit-base-patch32') > sorted.findIndex((i) => i.label === 'models/tiny-clip'));
});

test('a file the run could not read gets a Warning on the file itself, saying why', async (t) => {
  const ws = makeWorkspace({ tokenizerInCache: true });
  placeRun(ws.root, ws.shapes, (r) => {
    r.failed = [{ path: 'test/blue_square/cut.png', error: 'truncated PNG: the file ends before its IEND chunk' }];
  });
  writeFileSync(join(ws.shapes, 'gla.yaml'), SHAPES_MANIFEST);
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: true } });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  await client.open(uriOf(join(ws.shapes, 'gla.yaml')), SHAPES_MANIFEST);
  const file = uriOf(join(ws.shapes, 'test', 'blue_square', 'cut.png'));
  const [d] = await client.waitForDiagnostics(file, (list) => list.length === 1);
  assert.equal(d.code, 'unreadable-image');
  assert.equal(d.severity, WARNING);
  assert.equal(d.message, 'The run could not read this file and skipped it: truncated PNG: the file ends before its IEND chunk');
});

test('model: naming no usable model gets quick fixes: the model folders near gla.yaml, and the selected model', async (t) => {
  const { ws, client, uri } = await startWithRun(t);
  cpSync(modelFixture('tiny-clip'), join(ws.shapes, 'models', 'tiny-clip'), { recursive: true });
  // A copy with only its image tower: a folder, but not a usable CLIP.
  cpSync(modelFixture('tiny-clip'), join(ws.shapes, 'models', 'half'), { recursive: true });
  for (const f of ['text_model.onnx', 'text_model_fp16.onnx', 'text_model_quantized.onnx']) rmSync(join(ws.shapes, 'models', 'half', 'onnx', f));
  const text = `model: ../models/tiny-clip\n${SHAPES_MANIFEST}`;
  await client.open(uri, text);
  const [unknown] = (await client.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'unknown-model'))).filter((d) => d.code === 'unknown-model');
  const actions = await client.codeActions(uri, unknown.range, [unknown]);
  assert.deepEqual(actions.map((a) => a.title), ['Use the model folder models/tiny-clip', 'Use the selected model (clip-vit-base-patch32)']);
  assert.equal(actions[0].isPreferred, true);
  const [docEdit] = actions[0].edit!.documentChanges as { edits: { range: Range; newText: string }[] }[];
  assert.deepEqual(docEdit.edits, [{ range: unknown.range, newText: 'models/tiny-clip' }]);
  // Not our VS Code extension: no folder picker is offered, since that command is the extension's.
  assert.ok(!actions.some((a) => a.command?.command === 'gla.chooseModelFolder'));

  await client.change(uri, `model: models/half\n${SHAPES_MANIFEST}`);
  const [half] = (await client.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'incomplete-model'))).filter((d) => d.code === 'incomplete-model');
  assert.match(half.message as string, /^model folder 'models\/half' has no text tower \(onnx\/text_model\.onnx\): GLA needs both of CLIP's towers/);
  assert.ok((await client.codeActions(uri, half.range, [half])).some((a) => a.title === 'Use the model folder models/tiny-clip'));
});

test('in our VS Code extension, a finding and its hover link to the class in the bias panel; other clients get neither', async (t) => {
  for (const client of ['gla-studio-vscode', undefined]) {
    const ws = makeWorkspace({ tokenizerInCache: true });
    const { runDir } = placeRun(ws.root, ws.shapes);
    writeFileSync(join(ws.shapes, 'gla.yaml'), SHAPES_MANIFEST);
    const lsp = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: true, ...(client ? { client } : {}) } });
    t.after(async () => {
      await lsp.stop();
      ws.remove();
    });
    const uri = uriOf(join(ws.shapes, 'gla.yaml'));
    await lsp.open(uri, SHAPES_MANIFEST);
    const blue = (await lsp.waitForDiagnostics(uri, (d) => d.length === expectedRun().classes.length)).find((d) => d.range.start.line === 3)!;
    const show = (await lsp.codeActions(uri, blue.range, [blue])).find((a) => a.title === "Show 'blue_square' in the bias panel");
    const hover = ((await lsp.hover(uri, { line: 3, character: 14 }))!.contents as MarkupContent).value;
    const args = encodeURIComponent(JSON.stringify([{ className: 'blue_square', runDir }]));
    if (client) {
      assert.deepEqual(show?.command, { title: 'Show in bias panel', command: 'gla.showClassInBiasPanel', arguments: [{ className: 'blue_square', runDir }] });
      assert.ok(hover.includes(`[Show in bias panel](command:gla.showClassInBiasPanel?${args})`), hover);
    } else {
      assert.equal(show, undefined, 'a command only our extension has');
      assert.doesNotMatch(hover, /command:/);
    }
  }
});
