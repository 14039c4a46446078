// A run whose embeddings are all cached starts no ONNX Runtime session, vision or text (issue 14): counted on the
// real sessions the analysis opens, with the tiny CLIP and the fine-tuned classifier fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedFixtures } from '../helpers/paths';
import { sessionsOpened } from '../../server/src/clip/inference/inference-thread';
import { analyzeDataset } from '../../server/src/engine/analyze';
import { embedWithModel } from '../../server/src/engine/embed-with-model';
import { openModel } from '../../server/src/engine/open-model';

const model = join(generatedFixtures('models'), 'tiny-clip');
const dataset = join(generatedFixtures('analyze-datasets'), 'imagefolder');

/** The sessions `work` opened, by tower. */
async function counting<T>(work: () => Promise<T>): Promise<{ result: T; vision: number; text: number }> {
  const before = { ...sessionsOpened };
  const result = await work();
  return { result, vision: sessionsOpened.vision - before.vision, text: sessionsOpened.text - before.text };
}

test('a second analysis of the same images opens no vision and no text session', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const out = mkdtempSync(join(tmpdir(), 'gla-runs-'));
  const first = await counting(() => analyzeDataset({ dataset, model, cacheDir, out: join(out, 'first') }));
  assert.deepEqual([first.vision, first.text], [1, 1], 'the first run embeds images and prompts once each');
  assert.ok(first.result.report.embeddings.computed > 0);
  const second = await counting(() => analyzeDataset({ dataset, model, cacheDir, out: join(out, 'second') }));
  assert.deepEqual([second.vision, second.text], [0, 0], 'everything was cached, yet a session was opened');
  assert.equal(second.result.report.embeddings.computed, 0);
  assert.equal(second.result.report.embeddings.cached, first.result.report.embeddings.computed);
  assert.equal(second.result.report.model.executionProvider, 'cache');
  // The files the decoder rejected are reported again from the cache's records, not by starting the model to retry them.
  assert.ok(first.result.report.failed.length >= 3, 'the fixture has corrupt, truncated and empty files');
  assert.deepEqual(second.result.report.failed, first.result.report.failed);
  // Same numbers either way.
  assert.deepEqual(second.result.report.prior.values, first.result.report.prior.values);
});

test('with the user\'s fine-tuned classifier too, a cached rerun opens no session at all', async () => {
  const finetuned = join(generatedFixtures('finetuned'), 'shapes-classifier');
  const shapes = join(generatedFixtures('finetuned'), 'shapes-dataset');
  const cacheDir = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const out = mkdtempSync(join(tmpdir(), 'gla-runs-'));
  const first = await counting(() => analyzeDataset({ dataset: shapes, model, finetuned, cacheDir, out: join(out, 'first') }));
  // CLIP's vision tower and the classifier are both vision sessions.
  assert.deepEqual([first.vision, first.text], [2, 1]);
  const second = await counting(() => analyzeDataset({ dataset: shapes, model, finetuned, cacheDir, out: join(out, 'second') }));
  assert.deepEqual([second.vision, second.text], [0, 0]);
});

test('embedding only new images opens the session once, and a fully cached call not at all', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const opened = await openModel(model, { cacheDir, allowDownload: false });
  const paths = ['red circle', 'blue_square'].map((c) => join(dataset, 'test', c));
  const { readdirSync } = await import('node:fs');
  const files = paths.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.png')).map((f) => join(d, f)));
  const half = files.slice(0, Math.ceil(files.length / 2));
  const a = await counting(() => embedWithModel(half, opened, { cacheDir }));
  const b = await counting(() => embedWithModel(files, opened, { cacheDir }));
  const c = await counting(() => embedWithModel(files, opened, { cacheDir }));
  assert.deepEqual([a.vision, b.vision, c.vision], [1, 1, 0]);
  assert.deepEqual([b.result.cached, b.result.computed], [half.length, files.length - half.length]);
  assert.equal(c.result.executionProvider, 'cache');
});
