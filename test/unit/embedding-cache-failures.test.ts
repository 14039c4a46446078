// The embedding cache's records of files the decoder rejected: kept per content and decoder, never across decoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddingCache } from '../../server/src/store/embedding-cache';

const hash = 'ab'.repeat(32);

test('a decode failure is remembered for the same decoder only, beside (not instead of) embeddings', async () => {
  const cache = new EmbeddingCache(mkdtempSync(join(tmpdir(), 'gla-cache-')), { modelId: 'm', preprocessingVersion: 'p' });
  assert.equal(await cache.getFailure(hash, () => 'libvips 8.17.1'), undefined);
  await cache.putFailure(hash, 'truncated or corrupt JPEG: premature end', 'libvips 8.17.1');
  assert.equal(await cache.getFailure(hash, () => 'libvips 8.17.1'), 'truncated or corrupt JPEG: premature end');
  // Another libvips may read the file: the record does not apply to it.
  assert.equal(await cache.getFailure(hash, () => 'libvips 8.18.0'), undefined);
  assert.equal(await cache.get(hash), undefined, 'a failure is not an embedding');
  assert.deepEqual(readdirSync(join(cache.dir, 'ab')), [`${hash}.fail`]);
});

test('a damaged failure record is ignored, so the file is simply tried again', async () => {
  const cache = new EmbeddingCache(mkdtempSync(join(tmpdir(), 'gla-cache-')), { modelId: 'm', preprocessingVersion: 'p' });
  await cache.putFailure(hash, 'corrupt PNG', 'v');
  for (const junk of ['{"error": 5, "decoder": "v"}', 'null', '{not json', '']) {
    writeFileSync(join(cache.dir, 'ab', `${hash}.fail`), junk);
    assert.equal(await cache.getFailure(hash, () => 'v'), undefined, junk);
  }
});
