import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddingRows } from '../../server/src/engine/embedding-rows';

test('rows land in one buffer and compact to the front in input order, skipping gaps', () => {
  const rows = new EmbeddingRows(5);
  rows.set(3, Float32Array.from([7, 8]));
  rows.set(1, Float32Array.from([3, 4]));
  rows.set(4, Float32Array.from([9, 10]));
  assert.equal(rows.dim, 2);
  assert.ok(rows.has(1) && !rows.has(0) && !rows.has(2));
  const { indices, embeddings } = rows.compact();
  assert.deepEqual(indices, [1, 3, 4]);
  assert.deepEqual(Array.from(embeddings), [3, 4, 7, 8, 9, 10]);
  assert.throws(() => rows.set(0, new Float32Array(3)), /width 3 in a matrix of width 2/);
  assert.deepEqual(new EmbeddingRows(3).compact(), { indices: [], embeddings: new Float32Array(0) });
});
