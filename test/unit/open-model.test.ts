// openModel keys the embedding caches on the model files' content: a model changed in place (same size, old mtime)
// gets new keys, and only the tower that changed loses its embeddings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../server/src/engine/open-model';
import { generatedFixtures } from '../helpers/paths';

const tinyClip = join(generatedFixtures('models'), 'tiny-clip');
const FILES = ['onnx/vision_model.onnx', 'onnx/text_model.onnx', 'bpe_simple_vocab_16e6.txt.gz', 'config.json', 'preprocessor_config.json'];
// Whole seconds, so utimes restores an mtime exactly.
const OLD = new Date('2024-01-01T00:00:00Z');

/** A private copy of tiny-clip (the generated files are hard-linked between fixtures: never write to them). */
function modelCopy(): { dir: string; cacheDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'gla-open-model-'));
  const dir = join(root, 'model');
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const f of FILES) {
    copyFileSync(join(tinyClip, f), join(dir, f));
    utimesSync(join(dir, f), OLD, OLD);
  }
  return { dir, cacheDir: join(root, 'cache') };
}

/** New bytes, same size, old mtime: what a fast path on size and mtime alone cannot see. */
function rewriteInPlace(path: string): void {
  const bytes = readFileSync(path);
  const before = statSync(path);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(path, bytes);
  utimesSync(path, OLD, OLD);
  const after = statSync(path);
  assert.deepEqual([after.size, after.mtimeMs, after.ino], [before.size, before.mtimeMs, before.ino]);
}

/** As if the model files had been hashed long after they last changed, so only their identity decides. */
function settleModelIndex(cacheDir: string): void {
  const file = join(cacheDir, 'embeddings', 'model-index.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { ctimeMs: number; hashedAtMs: number }> };
  for (const entry of Object.values(json.entries)) entry.hashedAtMs = entry.ctimeMs + 60_000;
  writeFileSync(file, JSON.stringify(json));
}

test('the vision model rewritten in place (same size, old mtime) changes namespace.modelId, not textModelId', async () => {
  const { dir, cacheDir } = modelCopy();
  const first = await openModel(dir, { cacheDir });
  assert.match(first.namespace.modelId, /^vision-sha256:[0-9a-f]{64}$/);
  settleModelIndex(cacheDir);
  const again = await openModel(dir, { cacheDir });
  assert.equal(again.namespace.modelId, first.namespace.modelId, 'unchanged files keep their keys');
  assert.equal(again.textModelId, first.textModelId);

  rewriteInPlace(join(dir, 'onnx', 'vision_model.onnx'));
  const changed = await openModel(dir, { cacheDir });
  assert.notEqual(changed.namespace.modelId, first.namespace.modelId);
  assert.equal(changed.textModelId, first.textModelId, 'text embeddings stay valid: the text tower did not change');
  assert.equal(changed.namespace.preprocessingVersion, first.namespace.preprocessingVersion);
});

test('the text model or the tokenizer rewritten in place changes textModelId, not namespace.modelId', async () => {
  const { dir, cacheDir } = modelCopy();
  const first = await openModel(dir, { cacheDir });
  settleModelIndex(cacheDir);

  rewriteInPlace(join(dir, 'onnx', 'text_model.onnx'));
  const textChanged = await openModel(dir, { cacheDir });
  assert.notEqual(textChanged.textModelId, first.textModelId);
  assert.equal(textChanged.namespace.modelId, first.namespace.modelId, 'image embeddings stay valid');
  settleModelIndex(cacheDir);

  rewriteInPlace(join(dir, 'bpe_simple_vocab_16e6.txt.gz'));
  const tokenizerChanged = await openModel(dir, { cacheDir });
  assert.notEqual(tokenizerChanged.textModelId, textChanged.textModelId);
  assert.equal(tokenizerChanged.namespace.modelId, first.namespace.modelId);
});

test('the same model files in another folder share their keys (the keys are content, not paths)', async () => {
  const a = modelCopy();
  const b = modelCopy();
  const inA = await openModel(a.dir, { cacheDir: a.cacheDir });
  const inB = await openModel(b.dir, { cacheDir: a.cacheDir });
  assert.notEqual(inA.folder.id, inB.folder.id);
  assert.equal(inB.namespace.modelId, inA.namespace.modelId);
  assert.equal(inB.textModelId, inA.textModelId);
  assert.ok(existsSync(join(a.cacheDir, 'embeddings', 'model-index.json')), 'the model index is kept apart from the images\' one');
  assert.ok(!existsSync(join(a.cacheDir, 'embeddings', 'path-index.json')));
});
