// gla.yaml parsing and checks: each problem kind at its exact range, against the lsp-dataset fixture folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelFixture } from '../helpers/model-fixtures';
import { generatedFixtures, sharedDir } from '../helpers/paths';
import { parseManifest, type ManifestProblem } from '../../server/src/dataset/manifest';
import { readManifest } from '../../server/src/dataset/read-manifest';
import { discoverDataset } from '../../server/src/dataset/discover';
import { loadTokenizer } from '../../server/src/clip/text/tokenizer';

/** [line, startChar, endLine, endChar] */
type Span = [number, number, number, number];

function span(p: ManifestProblem): Span {
  return [p.range.start.line, p.range.start.character, p.range.end.line, p.range.end.character];
}

function check(text: string, expected: { code: string; severity: string; span: Span; message?: RegExp }[]): void {
  const problems = parseManifest(text).problems;
  assert.deepEqual(
    problems.map((p) => ({ code: p.code, severity: p.severity, span: span(p) })),
    expected.map(({ code, severity, span }) => ({ code, severity, span })),
    `problems of:\n${text}\ngot ${JSON.stringify(problems, null, 1)}`,
  );
  expected.forEach((e, i) => {
    if (e.message) assert.match(problems[i].message, e.message);
  });
}

test('a well-formed manifest parses with its values and ranges, and no problems', () => {
  const m = parseManifest(
    [
      'model: clip-vit-base-patch32   # the default',
      'classes:',
      '  - folder: red circle',
      '    prompt: a red circle',
      '  - grüne Dreiecke',
      '  - folder: 007',
      'templates: ["a photo of a {}.", "a drawing of a {}."]',
      'splits: {train: train, val: val, test: test}',
      '',
    ].join('\n'),
  );
  assert.deepEqual(m.problems, []);
  assert.equal(m.model?.value, 'clip-vit-base-patch32');
  assert.deepEqual(m.model?.range, { start: { line: 0, character: 7 }, end: { line: 0, character: 28 } });
  assert.deepEqual(m.classes?.map((c) => [c.folder, c.prompt]), [['red circle', 'a red circle'], ['grüne Dreiecke', undefined], ['007', undefined]]);
  const [red, green] = m.classes!;
  assert.deepEqual(red.range, { start: { line: 2, character: 4 }, end: { line: 3, character: 24 } });
  assert.deepEqual(red.folderRange, { start: { line: 2, character: 12 }, end: { line: 2, character: 22 } });
  assert.deepEqual(red.promptRange, { start: { line: 3, character: 12 }, end: { line: 3, character: 24 } });
  // UTF-16 characters: "grüne Dreiecke" is 14 units.
  assert.deepEqual(green.folderRange, { start: { line: 4, character: 4 }, end: { line: 4, character: 18 } });
  assert.deepEqual(m.templates?.map((t) => t.value), ['a photo of a {}.', 'a drawing of a {}.']);
  assert.deepEqual(m.templates?.[1].range, { start: { line: 6, character: 32 }, end: { line: 6, character: 52 } });
  assert.deepEqual(Object.fromEntries(Object.entries(m.splits!).map(([k, v]) => [k, v.value])), { train: 'train', val: 'val', test: 'test' });
});

test('an empty manifest means every default', () => {
  for (const text of ['', '\n', '# only a comment\n']) {
    const m = parseManifest(text);
    assert.deepEqual(m, { problems: [] });
  }
});

test('malformed YAML is reported where it breaks, never thrown', () => {
  check('classes: [red, blue\n', [{ code: 'yaml-syntax', severity: 'error', span: [0, 18, 0, 19] }]);
  check('classes:\n  - folder: a\n   - folder: b\n', [
    { code: 'yaml-syntax', severity: 'error', span: [2, 3, 2, 4], message: /same column/ },
    { code: 'wrong-type', severity: 'error', span: [2, 3, 2, 14] },
  ]);
  check('model: a\nclasses:\n\t- a\n', [{ code: 'yaml-syntax', severity: 'error', span: [2, 0, 2, 1], message: /Tabs/ }]);
  check('model: "unterminated\n', [{ code: 'yaml-syntax', severity: 'error', span: [0, 19, 0, 20], message: /quote/ }]);
  check('model: x\nmodel: y\n', [{ code: 'yaml-syntax', severity: 'error', span: [1, 0, 1, 1], message: /unique/ }]);
});

test('wrong types are errors on the value, or on the key when the value is empty', () => {
  check('classes: 5\n', [{ code: 'wrong-type', severity: 'error', span: [0, 9, 0, 10], message: /classes: expected a list.*got number "5"/ }]);
  check('model: [a, b]\n', [{ code: 'wrong-type', severity: 'error', span: [0, 7, 0, 13], message: /got a list/ }]);
  check('model:\n', [{ code: 'wrong-type', severity: 'error', span: [0, 0, 0, 5], message: /got nothing/ }]);
  check('splits: [train]\n', [{ code: 'wrong-type', severity: 'error', span: [0, 8, 0, 15] }]);
  check('classes:\n  - folder: {a: 1}\n', [{ code: 'wrong-type', severity: 'error', span: [1, 12, 1, 18] }]);
  check('classes:\n  - [a]\n', [{ code: 'wrong-type', severity: 'error', span: [1, 4, 1, 7] }]);
  check('classes:\n  - prompt: a cat\n', [{ code: 'wrong-type', severity: 'error', span: [1, 4, 1, 17], message: /no `folder:`/ }]);
  check('- a\n- b\n', [{ code: 'wrong-type', severity: 'error', span: [0, 0, 1, 3], message: /must be a mapping/ }]);
  // `- {} photo` is a flow mapping to YAML: say to quote it.
  check('templates:\n  - {}\n', [{ code: 'wrong-type', severity: 'error', span: [1, 4, 1, 6], message: /quote templates/ }]);
});

test('unknown keys are warnings with a suggestion', () => {
  check('modle: x\n', [{ code: 'unknown-key', severity: 'warning', span: [0, 0, 0, 5], message: /did you mean 'model'/ }]);
  check('classes:\n  - folder: a\n    promt: b\n', [{ code: 'unknown-key', severity: 'warning', span: [2, 4, 2, 9], message: /did you mean 'prompt'/ }]);
  check('splits: {training: t}\n', [{ code: 'unknown-key', severity: 'warning', span: [0, 9, 0, 17], message: /known: train, val, test/ }]);
});

test('class list problems: duplicates, empty prompts, WordNet ids, templates without {}', () => {
  check('classes:\n  - folder: cat\n  - dog\n  - cat\n', [
    { code: 'duplicate-class', severity: 'error', span: [3, 4, 3, 7], message: /'cat' is listed twice \(first on line 2\)/ },
  ]);
  check('classes:\n  - folder: cat\n    prompt: ""\n', [{ code: 'empty-prompt', severity: 'error', span: [2, 12, 2, 14] }]);
  check('classes:\n  - folder: n01440764\n  - folder: n01443537\n    prompt: goldfish\n', [
    { code: 'wordnet-prompt', severity: 'warning', span: [1, 12, 1, 21], message: /WordNet id/ },
  ]);
  check('classes:\n  - folder: a\n    prompt: Cat\n  - folder: b\n    prompt: cat\n', [
    { code: 'duplicate-prompt', severity: 'warning', span: [4, 12, 4, 15] },
  ]);
  check('templates:\n  - a photo of a {}.\n  - a photo\n', [
    { code: 'template-placeholder', severity: 'error', span: [2, 4, 2, 11], message: /"a photo" has no \{\}/ },
  ]);
  check('templates: "itap of a {}."\n', []);
  check('classes: []\n', [{ code: 'empty-classes', severity: 'warning', span: [0, 9, 0, 11] }]);
});

function datasetCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gla-manifest-'));
  cpSync(generatedFixtures('lsp-dataset'), dir, { recursive: true });
  return dir;
}

test('readManifest checks class and split folders against the dataset folder', async (t) => {
  const dir = datasetCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const text = [
    'classes:',
    '  - folder: red circle',
    '  - folder: grüne Dreiecke',
    '  - folder: purple hexagon',
    'splits: {train: train, val: validation}',
    '',
  ].join('\n');
  const m = await readManifest(join(dir, 'shapes', 'gla.yaml'), { text });
  assert.deepEqual(
    m.problems.map((p) => [p.code, p.severity, span(p)]),
    [
      ['missing-folder', 'error', [3, 12, 3, 26]],
      ['missing-split-folder', 'error', [4, 28, 4, 38]],
    ],
  );
  assert.match(m.problems[0].message, /class folder 'purple hexagon' does not exist in the split folders \(train, test\)/);
  assert.deepEqual(m.effectiveClasses.map((c) => c.folder), ['red circle', 'grüne Dreiecke', 'purple hexagon']);
});

test('without classes: the class folders, sorted by code point, with prompts from their names', async (t) => {
  const dir = datasetCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const m = await readManifest(join(dir, 'shapes', 'gla.yaml'), { text: 'model: clip-vit-base-patch32\n' });
  assert.deepEqual(m.effectiveClasses, [
    { folder: 'blue_square', prompt: 'blue square' },
    { folder: 'grüne Dreiecke', prompt: 'grüne Dreiecke' },
    { folder: 'n04254680', prompt: 'n04254680' },
    { folder: 'red circle', prompt: 'red circle' },
  ]);
  assert.deepEqual(Object.keys(m.folders.splitDirs).sort(), ['test', 'train', 'val']);
  // The WordNet folder is named on the model line, the only line there is.
  assert.deepEqual(m.problems.map((p) => [p.code, span(p)]), [['wordnet-prompt', [0, 7, 0, 28]]]);

  const flat = await readManifest(join(dir, 'flat', 'gla.yaml'), { text: 'classes: [cat, dog, cow]\n' });
  assert.deepEqual(flat.folders.classFolders, ['cat', 'dog']);
  assert.deepEqual(flat.problems.map((p) => [p.code, span(p)]), [['missing-folder', [0, 20, 0, 23]]]);
});

test('a model that is neither a known id nor a folder is a warning; a folder relative to gla.yaml is fine', async (t) => {
  const dir = datasetCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = await readManifest(join(dir, 'shapes', 'gla.yaml'), { text: 'model: clip-vit-huge\nclasses: [red circle]\n' });
  assert.deepEqual(bad.problems.map((p) => [p.code, p.severity, span(p)]), [['unknown-model', 'warning', [0, 7, 0, 20]]]);
  cpSync(modelFixture('tiny-clip'), join(dir, 'models', 'tiny-clip'), { recursive: true });
  const relative = await readManifest(join(dir, 'shapes', 'gla.yaml'), { text: 'model: ../models/tiny-clip\nclasses: [red circle]\n' });
  assert.deepEqual(relative.problems, []);
  // A folder that holds no CLIP towers is a folder, but not a model.
  const notModel = await readManifest(join(dir, 'shapes', 'gla.yaml'), { text: 'model: ../flat\nclasses: [red circle]\n' });
  assert.deepEqual(notModel.problems.map((p) => [p.code, p.severity, span(p)]), [['incomplete-model', 'warning', [0, 7, 0, 14]]]);
  assert.match(notModel.problems[0].message, /has no image tower \(onnx\/vision_model\.onnx\) and no text tower/);
});

test('prompts over 77 tokens are flagged with the real CLIP tokenizer, at the exact boundary', async (t) => {
  const dir = datasetCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenizer = await loadTokenizer(join(sharedDir, 'clip', 'bpe_simple_vocab_16e6.txt.gz'));
  // "a" is one token, and "a photo of a {}." is start + 5 + end = 7 tokens around the class name.
  assert.equal(tokenizer.countTokens('a'), 3);
  assert.equal(tokenizer.countTokens('a photo of a .'), 7);
  const fits = Array(70).fill('a').join(' ');
  const tooLong = Array(71).fill('a').join(' ');
  const text = [
    'classes:',
    '  - folder: red circle',
    `    prompt: ${fits}`,
    '  - folder: blue_square',
    `    prompt: ${tooLong}`,
    'templates: ["a photo of a {}."]',
    '',
  ].join('\n');
  const m = await readManifest(join(dir, 'shapes', 'gla.yaml'), { text, tokenizer });
  assert.deepEqual(m.problems.map((p) => [p.code, p.severity, span(p)]), [['prompt-too-long', 'warning', [4, 12, 4, 12 + tooLong.length]]]);
  assert.match(m.problems[0].message, /is 78 tokens; CLIP reads only 77/);
  // A template too long by itself is flagged once, on the template.
  const long = `templates: ["${Array(80).fill('a').join(' ')} {}"]\nclasses: [red circle]\n`;
  const t2 = await readManifest(join(dir, 'shapes', 'gla.yaml'), { text: long, tokenizer });
  assert.deepEqual(t2.problems.map((p) => [p.code, span(p)]), [['prompt-too-long', [0, 12, 0, 12 + 80 * 2 + 4]]]);
  // Without a tokenizer the check is skipped, nothing else changes.
  const none = await readManifest(join(dir, 'shapes', 'gla.yaml'), { text });
  assert.deepEqual(none.problems, []);
});

test('finetuned: parses with its range; a wrong type is an error, a near miss of the key a warning', () => {
  const m = parseManifest('model: clip-vit-base-patch32\nfinetuned: ../models/vit-shapes\nclasses: [red circle]\n');
  assert.deepEqual(m.problems, []);
  assert.equal(m.finetuned?.value, '../models/vit-shapes');
  assert.deepEqual(m.finetuned?.range, { start: { line: 1, character: 11 }, end: { line: 1, character: 31 } });
  check('finetuned: [a, b]\n', [{ code: 'wrong-type', severity: 'error', span: [0, 11, 0, 17], message: /finetuned: expected a fine-tuned model folder or a logits PREFIX.*got a list/ }]);
  check('finetuned:\n', [{ code: 'wrong-type', severity: 'error', span: [0, 0, 0, 9], message: /got nothing/ }]);
  check('fine_tuned: x\n', [{ code: 'unknown-key', severity: 'warning', span: [0, 0, 0, 10], message: /did you mean 'finetuned'/ }]);
  check('- a\n', [{ code: 'wrong-type', severity: 'error', span: [0, 0, 0, 3], message: /mapping of model, finetuned, classes, templates and splits/ }]);
});

test('finetuned: is relative to gla.yaml; a path that is neither a model folder nor a logits PREFIX is a warning on its line', async (t) => {
  const dir = datasetCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = join(dir, 'shapes', 'gla.yaml');
  const problems = async (value: string) => (await readManifest(manifest, { text: `classes: [red circle]\nfinetuned: ${value}\n` })).problems;
  const shape = (ps: ManifestProblem[]) => ps.map((p) => [p.code, p.severity, span(p)]);

  const missing = await problems('../models/vit-shapes');
  assert.deepEqual(shape(missing), [['missing-finetuned', 'warning', [1, 11, 1, 31]]]);
  assert.match(missing[0].message, /finetuned '\.\.\/models\/vit-shapes' is neither a model folder nor a logits PREFIX/);
  assert.ok(missing[0].message.includes(join(dir, 'models', 'vit-shapes')), `resolved against gla.yaml's folder: ${missing[0].message}`);

  // A folder without the classifier's graph is named as such; with onnx/model.onnx (or model.onnx) it is fine.
  mkdirSync(join(dir, 'models', 'vit-shapes', 'onnx'), { recursive: true });
  assert.match((await problems('../models/vit-shapes'))[0].message, /has no onnx\/model\.onnx/);
  writeFileSync(join(dir, 'models', 'vit-shapes', 'onnx', 'model.onnx'), '');
  assert.deepEqual(await problems('../models/vit-shapes'), []);
  assert.deepEqual(await problems(join(dir, 'models', 'vit-shapes')), [], 'an absolute path as it is');

  // A logits PREFIX needs PREFIX.npy and PREFIX.json; it may be written with its .npy.
  writeFileSync(join(dir, 'shapes', 'logits.npy'), '');
  assert.match((await problems('logits'))[0].message, /has logits\.npy but no logits\.json/);
  writeFileSync(join(dir, 'shapes', 'logits.json'), '{"paths": []}');
  assert.deepEqual(await problems('logits'), []);
  assert.deepEqual(await problems('logits.npy'), []);
});

test("a dataset's finetuned is gla.yaml's, resolved against the manifest's folder", async (t) => {
  const dir = datasetCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'shapes', 'gla.yaml'), 'finetuned: ../logits/shapes\n');
  const dataset = await discoverDataset(join(dir, 'shapes'));
  assert.equal(dataset.finetuned, join(dir, 'logits', 'shapes'));
  writeFileSync(join(dir, 'shapes', 'gla.yaml'), 'templates: ["a photo of a {}."]\n');
  assert.equal((await discoverDataset(join(dir, 'shapes', 'gla.yaml'))).finetuned, undefined);
});
