// .gla/reviewed.json: parsing and validation, the content-hash match, and the threshold counts the panel shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetKey, markReviewed, parseReviewed, readReviewed, reviewedPath, stillReviewed } from '../../server/src/store/reviewed';
import { withoutReviewed } from '../../server/src/store/reviewed-issues';
import { flaggedAt, labelIssueThreshold, thresholdCounts } from '../../server/src/gla/label-issue-threshold';

test('a malformed or foreign reviewed.json gives no entries and one notice', () => {
  assert.match(parseReviewed('{', 'data').notice ?? '', /not valid JSON/);
  assert.match(parseReviewed('{"version":1,"datasetRoot":"data","entries":[{"path":"a.png"}]}', 'data').notice ?? '', /version-1 list/);
  const foreign = parseReviewed('{"version":1,"datasetRoot":"other","entries":[]}', 'data');
  assert.deepEqual(foreign.entries, []);
  assert.match(foreign.notice ?? '', /'other', not 'data'/);
});

test('marked images stay reviewed while their content is unchanged; a changed image is flagged again', async () => {
  const ws = await mkdtemp(join(tmpdir(), 'gla-reviewed-'));
  try {
    const root = join(ws, 'data');
    await mkdir(join(root, 'cat'), { recursive: true });
    await writeFile(join(root, 'cat', 'a.png'), 'one');
    await writeFile(join(root, 'cat', 'b.png'), 'two');
    assert.equal(datasetKey(ws, root), 'data');
    await markReviewed(ws, root, [{ path: 'cat/a.png', given: 'cat', suggested: 'dog' }]);
    const file = JSON.parse(await readFile(reviewedPath(ws), 'utf8'));
    assert.equal(file.version, 1);
    assert.equal(file.datasetRoot, 'data');
    assert.equal(file.entries.length, 1);
    const read = await readReviewed(ws, root);
    assert.equal(read.notice, undefined);
    assert.deepEqual([...(await stillReviewed(root, read.entries, ['cat/a.png', 'cat/b.png']))], ['cat/a.png']);
    const issues = [{ path: 'cat/a.png', given: 'cat', suggested: 'dog', confidence: 0.9 }, { path: 'cat/b.png', given: 'cat', suggested: 'dog', confidence: 0.8 }];
    const filtered = await withoutReviewed(issues, ws, root);
    assert.deepEqual(filtered.labelIssues.map((i) => i.path), ['cat/b.png']);
    assert.equal(filtered.reviewed, 1);
    await writeFile(join(root, 'cat', 'a.png'), 'changed');
    assert.equal((await withoutReviewed(issues, ws, root)).reviewed, 0);
    // A malformed file is not overwritten by a mark, and a run ignores it with one notice.
    await writeFile(reviewedPath(ws), 'not json');
    await assert.rejects(markReviewed(ws, root, [{ path: 'cat/b.png', given: 'cat', suggested: 'dog' }]), /nothing was written/);
    const notices: string[] = [];
    assert.equal((await withoutReviewed(issues, ws, root, (m) => notices.push(m))).labelIssues.length, 2);
    assert.equal(notices.length, 1);
  } finally {
    await rm(ws, { recursive: true, force: true });
  }
});

test('the threshold keeps candidates at or above it, and each step counts its flags', () => {
  const issues = [0.95, 0.85, 0.72, 0.6, 0.55, 0.3].map((confidence) => ({ confidence }));
  assert.equal(flaggedAt(issues, 0.6).length, 4);
  assert.deepEqual(thresholdCounts(issues, 0.5).map((c) => [c.threshold, c.count, c.current]), [[0.5, 5, true], [0.6, 4, false], [0.7, 3, false], [0.8, 2, false], [0.9, 1, false]]);
  assert.equal(labelIssueThreshold(2), 0.5);
  assert.equal(labelIssueThreshold(0.7), 0.7);
});
