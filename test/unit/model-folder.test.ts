// resolveModel (folder or known id, cache, download) and verifyModelFolder (real ONNX Runtime sessions on generated
// models with right and wrong interfaces; the cases and what each problem must name come from the generator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../../server/src/errors';
import { resolveModel, verifyModelFolder } from '../../server/src/clip/models';
import { filesFor, findModel } from '../../server/src/clip/models/registry';
import { FakeHub } from '../helpers/fake-hub';
import { generatedFixtures } from '../helpers/paths';

const fixtures = generatedFixtures('model-verify');
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Record<string, { ok: boolean; mustName: string[] }>;

test('verifyModelFolder: every generated case is judged as its generator says, naming the file and the fault', async () => {
  assert.ok(Object.keys(expected).length >= 15);
  for (const [name, want] of Object.entries(expected)) {
    const v = await verifyModelFolder(join(fixtures, name));
    const text = v.problems.map((p) => `${p.file}: ${p.message}`).join('\n');
    assert.equal(v.ok, want.ok, `${name}: ${text}`);
    assert.equal(v.problems.length === 0, want.ok, name);
    for (const word of want.mustName) assert.ok(text.includes(word), `${name}: problems should name ${word}:\n${text}`);
  }
});

test('verifyModelFolder reports the interface it found, extra outputs included', async () => {
  const v = await verifyModelFolder(join(fixtures, 'good'));
  assert.equal(v.dim, 8);
  assert.equal(v.imageSize, 32);
  assert.equal(v.variants.length, 1);
  const { vision, text } = v.variants[0];
  assert.deepEqual(vision!.inputs, [{ name: 'pixel_values', type: 'float32', shape: ['batch_size', 3, 32, 32] }]);
  assert.deepEqual(vision!.outputs.map((o) => o.name), ['image_embeds', 'last_hidden_state']);
  assert.deepEqual(text!.inputs.map((i) => [i.name, i.type]), [['input_ids', 'int64'], ['attention_mask', 'int64']]);
  assert.deepEqual(text!.outputs[0], { name: 'text_embeds', type: 'float32', shape: ['batch_size', 8] });
});

test('verifyModelFolder with a variant checks only that one and names its missing files', async () => {
  const v = await verifyModelFolder(join(fixtures, 'good'), { variant: 'fp16' });
  assert.equal(v.ok, false);
  assert.deepEqual(v.problems.map((p) => p.file).sort(), ['onnx/text_model_fp16.onnx', 'onnx/vision_model_fp16.onnx']);
  const missingDir = await verifyModelFolder(join(fixtures, 'no-such-folder'));
  assert.equal(missingDir.ok, false);
  assert.match(missingDir.problems[0].message, /does not exist/);
});

test('resolveModel uses a folder as is', async () => {
  const dir = join(fixtures, 'good');
  const m = await resolveModel(dir, { cacheDir: '/nonexistent-cache' });
  assert.deepEqual(m, {
    id: resolve(dir),
    dir: resolve(dir),
    variant: 'fp32',
    visionPath: join(resolve(dir), 'onnx', 'vision_model.onnx'),
    textPath: join(resolve(dir), 'onnx', 'text_model.onnx'),
    preprocessorConfigPath: join(resolve(dir), 'preprocessor_config.json'),
    configPath: join(resolve(dir), 'config.json'),
    tokenizer: { vocabJson: join(resolve(dir), 'vocab.json'), mergesTxt: join(resolve(dir), 'merges.txt') },
    dim: 8,
    imageSize: 32,
    logitScale: 100,
    contextLength: 77,
    known: false,
  });
});

test('resolveModel picks the variant a folder has, and names the file when asked for one it lacks', async () => {
  const dir = join(fixtures, 'good-quantized-only');
  const m = await resolveModel(dir);
  assert.equal(m.variant, 'quantized');
  assert.ok(m.visionPath.endsWith('onnx/vision_model_quantized.onnx'));
  await assert.rejects(resolveModel(dir, { variant: 'fp32' }), (err: Error) =>
    err instanceof UserError && err.message.includes(join(resolve(dir), 'onnx/vision_model.onnx')) && err.message.includes('quantized'),
  );
  await assert.rejects(resolveModel(join(fixtures, 'empty')), (err: Error) =>
    err instanceof UserError && err.message.includes('onnx/vision_model.onnx'),
  );
});

test('resolveModel: an unknown name lists the known ids', async () => {
  await assert.rejects(resolveModel('clip-vit-huge-patch99'), (err: Error) =>
    err instanceof UserError && err.message.includes('clip-vit-huge-patch99') && err.message.includes('clip-vit-base-patch32'),
  );
});

test('resolveModel: a known id resolves to its cache folder, downloading only when allowed', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gla-resolve-'));
  const hub = await new FakeHub().start();
  try {
    const entry = findModel('clip-vit-base-patch32')!;
    for (const f of filesFor(entry, 'quantized')) hub.addFile(entry.repo, f.path, Buffer.from(`bytes of ${f.path}`), { lfs: f.path.endsWith('.onnx') });
    const env = { HF_ENDPOINT: hub.url };
    await assert.rejects(resolveModel('clip-vit-base-patch32', { cacheDir, env, variant: 'quantized' }), (err: Error) =>
      err instanceof UserError &&
      err.message.includes('onnx/vision_model_quantized.onnx') &&
      err.message.includes("gla model download clip-vit-base-patch32 --variant quantized"),
    );
    assert.equal(hub.requests.length, 0, 'no network without allowDownload');

    const m = await resolveModel('openai/clip-vit-base-patch32', { cacheDir, env, variant: 'quantized', allowDownload: true, retryDelayMs: 5 });
    const dir = join(cacheDir, 'models', 'clip-vit-base-patch32');
    assert.equal(m.id, 'clip-vit-base-patch32');
    assert.equal(m.dir, dir);
    assert.equal(m.known, true);
    assert.equal(m.dim, 512);
    assert.equal(m.imageSize, 224);
    assert.equal(m.logitScale, 100);
    assert.equal(readFileSync(m.visionPath, 'utf8'), 'bytes of onnx/vision_model_quantized.onnx');
    assert.equal(m.textPath, join(dir, 'onnx', 'text_model_quantized.onnx'));

    // Now cached: no variant asked, the cached one is picked, with no request; the cache folder as a path is the same model.
    const requests = hub.requests.length;
    const again = await resolveModel('clip-vit-base-patch32', { cacheDir, env, allowDownload: true });
    assert.equal(again.variant, 'quantized');
    assert.equal(hub.requests.length, requests);
    const byPath = await resolveModel(dir, { cacheDir });
    assert.equal(byPath.id, 'clip-vit-base-patch32');
    assert.equal(byPath.known, true);

    // A copy elsewhere is just a folder.
    const copy = join(cacheDir, 'copy');
    cpSync(dir, copy, { recursive: true });
    assert.equal((await resolveModel(copy, { cacheDir })).known, false);
  } finally {
    await hub.close();
    rmSync(cacheDir, { recursive: true, force: true });
  }
});
