// PathFeed: the embedder takes batches of a feed that is still growing, in order, and never waits past its end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PathFeed } from '../../server/src/clip/inference/path-feed';

test('takes wait for a full batch, come back in order, and get the remainder at the end', async () => {
  const feed = new PathFeed();
  const first = feed.take(2);
  const second = feed.take(2);
  const third = feed.take(2);
  let firstDone = false;
  void first.then(() => (firstDone = true));
  assert.equal(feed.push('a'), 0);
  await new Promise((r) => setImmediate(r));
  assert.equal(firstDone, false, 'one path is not a batch of two');
  feed.push('b');
  feed.push('c');
  assert.deepEqual(await first, { start: 0, paths: ['a', 'b'] });
  feed.end();
  assert.deepEqual(await second, { start: 2, paths: ['c'] });
  assert.deepEqual(await third, { start: 3, paths: [] });
  assert.throws(() => feed.push('d'), /push after end/);
});

test('onEach sees each path of a take as it arrives, before the batch is full', async () => {
  const feed = new PathFeed();
  const seen: string[] = [];
  const batch = feed.take(3, (path, k) => seen.push(`${k}:${path}`));
  feed.push('a');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['0:a']);
  feed.push('b');
  feed.push('c');
  feed.push('d');
  assert.deepEqual(await batch, { start: 0, paths: ['a', 'b', 'c'] });
  assert.deepEqual(seen, ['0:a', '1:b', '2:c'], 'd belongs to the next take');
});

test('PathFeed.of is complete at once; abandon releases waiting takes and ignores later pushes', async () => {
  const done = PathFeed.of(['x', 'y', 'z']);
  assert.equal(done.complete, true);
  assert.deepEqual(await done.take(2), { start: 0, paths: ['x', 'y'] });
  assert.deepEqual(await done.take(2), { start: 2, paths: ['z'] });
  const feed = new PathFeed();
  feed.push('a');
  const waiting = feed.take(5);
  feed.abandon();
  assert.deepEqual(await waiting, { start: 0, paths: [] });
  assert.equal(feed.push('b'), -1);
});
