// The review queue's arithmetic: batch move plans (taken targets, "Keep Both" names), and what "Not an error" and the
// threshold do to the panel's counts, each against figures worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freeName, keepingBoth, overwriting, planMoves } from '../../client/src/label-moves';
import { panelDataFromReport } from '../../client/src/bias-panel-data';
import { removeReviewed } from '../../client/src/review-counts';

const ROOT = '/data/shapes';

test('a batch plan: each image to its suggested folder, a taken target marked, an image outside a class folder refused', () => {
  const taken = new Set([join(ROOT, 'train/dog/b.png')]);
  const plan = planMoves(ROOT, [
    { path: 'train/cat/a.png', given: 'cat', other: 'dog' },
    { path: 'train/cat/b.png', given: 'cat', other: 'dog' },
    { path: 'loose.png', given: 'cat', other: 'dog' },
    { path: '../escape/cat/x.png', given: 'cat', other: 'dog' },
  ], (f) => taken.has(f));
  assert.deepEqual(plan.moves.map((m) => [m.path, m.target, m.taken]), [['train/cat/a.png', 'train/dog/a.png', false], ['train/cat/b.png', 'train/dog/b.png', true]]);
  assert.deepEqual(plan.refused.map((r) => r.path), ['loose.png', '../escape/cat/x.png']);
});

test('two images of one batch bound for the same name: the second counts as taken, and Keep Both gives each its own name', () => {
  const none = () => false;
  const plan = planMoves(ROOT, [
    { path: 'train/cat/a.png', given: 'cat', other: 'dog' },
    { path: 'test/cat/a.png', given: 'cat', other: 'dog' },
    { path: 'train/fox/a.png', given: 'fox', other: 'dog' },
  ], none);
  assert.deepEqual(plan.moves.map((m) => m.taken), [false, false, true]);
  const both = keepingBoth(plan.moves, none, ROOT);
  assert.deepEqual(both.map((m) => m.target), ['train/dog/a.png', 'test/dog/a.png', 'train/dog/a-2.png']);
  assert.ok(both.every((m) => !m.taken));
});

test('Overwrite replaces what is on disk, never another image of the same batch', () => {
  const onDisk = new Set([join(ROOT, 'train/dog/a.png')]);
  const plan = planMoves(ROOT, [
    { path: 'train/cat/a.png', given: 'cat', other: 'dog' },
    { path: 'train/fox/a.png', given: 'fox', other: 'dog' },
    { path: 'train/cat/b.png', given: 'cat', other: 'dog' },
    { path: 'train/fox/b.png', given: 'fox', other: 'dog' },
  ], (f) => onDisk.has(f));
  const moves = overwriting(plan.moves, (f) => onDisk.has(f), ROOT);
  // a.png: the first replaces the file there, the second (a sibling) goes to a-2; b.png: the second goes to b-2.
  assert.deepEqual(moves.map((m) => [m.target, m.taken]), [['train/dog/a.png', true], ['train/dog/a-2.png', false], ['train/dog/b.png', false], ['train/dog/b-2.png', false]]);
});

test('freeName skips names that exist or are claimed', () => {
  const exists = new Set(['/d/x-2.png']);
  assert.equal(freeName('/d/x.png', (f) => exists.has(f)), '/d/x-3.png');
  assert.equal(freeName('/d/x.png', (f) => exists.has(f), new Set(['/d/x-3.png'])), '/d/x-4.png');
  assert.equal(freeName('/d/archive.tar', () => false), '/d/archive-2.tar');
});

const report = {
  version: 1,
  runId: 'r',
  classes: [
    { name: 'cat', prior: 0.5, recall: { zeroShot: 1, debiased: 1, finetuned: 1, gla: 1 } },
    { name: 'dog', prior: 0.5, recall: { zeroShot: 1, debiased: 1, finetuned: 1, gla: 1 } },
  ],
  labelIssues: [
    { path: 'cat/a.png', given: 'cat', suggested: 'dog', confidence: 0.95 },
    { path: 'cat/b.png', given: 'cat', suggested: 'dog', confidence: 0.72 },
    { path: 'dog/c.png', given: 'dog', suggested: 'cat', confidence: 0.55 },
    { path: 'dog/d.png', given: 'dog', suggested: 'cat', confidence: 0.4 },
  ],
  labelIssuesReviewed: 2,
  labelIssueThreshold: 0.5,
};

test('the panel flags at the setting now, not the run\'s, counts each step, and leaves out what was reviewed since', () => {
  const d = panelDataFromReport({ report, imageSrc: () => undefined, canRevealClasses: false, labelIssueThreshold: 0.7, reviewedSinceRun: new Set(['cat/b.png']) });
  assert.deepEqual(d.images.labelIssues.map((i) => i.path), ['cat/a.png']);
  assert.equal(d.images.labelIssueThreshold, 0.7);
  // Candidates less the reviewed one: 0.95, 0.55, 0.4.
  assert.deepEqual(d.images.thresholdCounts.map((s) => [s.threshold, s.count, s.current]), [[0.5, 2, false], [0.6, 1, false], [0.7, 1, true], [0.8, 1, false], [0.9, 1, false]]);
  assert.equal(d.images.reviewed, 3, 'two in the run, one since');
  assert.deepEqual(d.classes.map((c) => [c.name, c.labelIssues]), [['cat', 1], ['dog', 0]]);
  const at05 = panelDataFromReport({ report, imageSrc: () => undefined, canRevealClasses: false });
  assert.deepEqual(at05.images.labelIssues.map((i) => i.path), ['cat/a.png', 'cat/b.png', 'dog/c.png'], 'the run\'s threshold when none is given');
});

test('"Not an error" takes images out of the queue and out of every count beside it', () => {
  const d = panelDataFromReport({ report, imageSrc: () => undefined, canRevealClasses: false, labelIssueThreshold: 0.5 });
  assert.equal(removeReviewed(d, new Set(['cat/b.png', 'dog/c.png', 'not/there.png'])), 2);
  assert.deepEqual(d.images.labelIssues.map((i) => i.path), ['cat/a.png']);
  assert.equal(d.images.totalLabelIssues, 1);
  assert.equal(d.images.reviewed, 4);
  assert.deepEqual(d.images.thresholdCounts.map((s) => s.count), [1, 1, 1, 1, 1]);
  assert.deepEqual(d.classes.map((c) => c.labelIssues), [1, 0]);
  assert.equal(removeReviewed(d, new Set(['dog/c.png'])), 0, 'twice is a no-op');
});
