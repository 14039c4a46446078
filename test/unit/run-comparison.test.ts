// Comparing two runs of a dataset (client/src/run-comparison.ts, run-list.ts): per-class Δq, Δbias and Δrecall
// against values computed here from the hand-written reports, what changed named, label issues that appeared or
// disappeared, classes in only one run, and unreadable run folders listed with their reason, never thrown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareRuns, inOrder, readRun, sameDataset, whatDiffers, type ReadableRun } from '../../client/src/run-comparison';
import { listRuns } from '../../client/src/run-list';

const TOL = 1e-12;
const recall = (zeroShot: number, gla: number) => ({ zeroShot, debiased: zeroShot + 0.1, finetuned: 0.5, ensemble: 0.6, gla });
const metrics = (top1: number) => Object.fromEntries(['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla'].map((k, i) => [k, { top1: top1 + i / 100, meanRecall: 0 }]));

/** The earlier run: 3 classes, two templates. bias is written as the engine writes it, log(C·q). */
const BEFORE = {
  runId: '2026-01-01T10-00-00-000Z',
  createdAt: '2026-01-01T10:00:00.000Z',
  model: { id: '/models/tiny-clip', dim: 8 },
  dataset: { root: '/data/shapes', splits: { train: 10, val: 4, test: 6 } },
  labelFree: false,
  templates: ['a photo of a {}.', 'a {} shape.'],
  metrics: metrics(0.5),
  evaluatedOn: 'test',
  classes: [
    { name: 'cat', prompt: 'cat', prior: 0.5, bias: Math.log(3 * 0.5), recall: recall(0.5, 0.75) },
    { name: 'dog', prompt: 'dog', prior: 0.3, bias: Math.log(3 * 0.3), recall: recall(0.25, 0.5) },
    { name: 'fox', prompt: 'fox', prior: 0.2, bias: Math.log(3 * 0.2), recall: recall(1, 1) },
  ],
  labelIssues: [
    { path: 'train/cat/a.png', given: 'cat', suggested: 'dog', confidence: 0.9 },
    { path: 'train/dog/b.png', given: 'dog', suggested: 'cat', confidence: 0.8 },
  ],
};

/** The later run: fox gone, owl new, dog's prompt and the templates changed; no bias field (computed from q). */
const AFTER = {
  ...BEFORE,
  runId: '2026-01-02T09-00-00-000Z',
  createdAt: '2026-01-02T09:00:00.000Z',
  templates: ['a {} shape.'],
  metrics: metrics(0.6),
  classes: [
    { name: 'dog', prompt: 'puppy', prior: 0.4, recall: recall(0.5, 0.5) },
    { name: 'cat', prompt: 'cat', prior: 0.35, recall: recall(0.75, 0.5) },
    { name: 'owl', prompt: 'owl', prior: 0.25, recall: recall(0, 0) },
  ],
  labelIssues: [
    { path: 'train/dog/b.png', given: 'dog', suggested: 'cat', confidence: 0.7 },
    { path: 'train/owl/c.png', given: 'owl', suggested: 'cat', confidence: 0.95 },
  ],
};

function readable(runDir: string, report: unknown, runJson?: unknown): ReadableRun {
  const e = readRun(runDir, JSON.stringify(report), runJson === undefined ? undefined : JSON.stringify(runJson));
  assert.ok(e.readable, `readable: ${e.reason}`);
  return e.readable;
}

test('per-class Δq, Δbias and Δrecall are after − before, on the classes both runs have, whichever order they come in', () => {
  const before = readable('/runs/1', BEFORE);
  const after = readable('/runs/2', AFTER);
  const c = compareRuns(after, before);
  assert.equal(c.before.runId, BEFORE.runId, 'the earlier run is "before"');
  assert.equal(c.after.runId, AFTER.runId);
  assert.deepEqual(c.classes.map((x) => x.name), ['dog', 'cat'], "the later run's order, common classes only");
  assert.deepEqual(c.onlyBefore, ['fox']);
  assert.deepEqual(c.onlyAfter, ['owl']);
  const cat = c.classes.find((x) => x.name === 'cat')!;
  const dog = c.classes.find((x) => x.name === 'dog')!;
  assert.ok(Math.abs(cat.q.delta! - (0.35 - 0.5)) < TOL);
  assert.ok(Math.abs(dog.q.delta! - (0.4 - 0.3)) < TOL);
  // Δ log(C·q) with C = 3 in both runs: log(0.35 / 0.5).
  assert.ok(Math.abs(cat.bias.delta! - Math.log(0.7)) < TOL, `Δbias ${cat.bias.delta}`);
  assert.ok(Math.abs(dog.bias.delta! - Math.log(0.4 / 0.3)) < TOL);
  assert.ok(Math.abs(cat.bias.after! - Math.log(3 * 0.35)) < TOL, 'a report without bias gets log(C·q)');
  assert.ok(Math.abs(cat.recall.zeroShot.delta! - 0.25) < TOL);
  assert.ok(Math.abs(cat.recall.gla.delta! - -0.25) < TOL);
  assert.ok(Math.abs(dog.recall.zeroShot.delta! - 0.25) < TOL);
  assert.equal(dog.recall.gla.delta, 0);
  assert.equal(cat.recall.finetuned.delta, 0);
  assert.deepEqual(cat.recall.zeroShot, { before: 0.5, after: 0.75, delta: 0.25 });
  assert.deepEqual(dog.prompt, { before: 'dog', after: 'puppy' });
  assert.equal(cat.prompt, undefined, "an unchanged prompt isn't flagged");
  assert.ok(Math.abs(c.top1.gla.delta! - 0.1) < TOL);
  assert.deepEqual(c.models, ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']);
});

test('what changed is named: templates with both lists, a prompt, the class list; label issues by path', () => {
  const c = compareRuns(readable('/runs/1', BEFORE), readable('/runs/2', AFTER));
  assert.deepEqual(c.changes, ['templates: 2 → 1 ("a photo of a {}.", "a {} shape." → "a {} shape.")', 'prompt of dog: "dog" → "puppy"', 'classes: 3 → 3 (removed fox; added owl)']);
  assert.match(c.notes.join('\n'), /compared on the 2 classes both runs have; only in the earlier run: fox; only in the later run: owl/);
  assert.deepEqual(c.labelIssues.appeared.map((i) => i.path), ['train/owl/c.png']);
  assert.deepEqual(c.labelIssues.disappeared.map((i) => i.path), ['train/cat/a.png']);
  assert.deepEqual(whatDiffers(readable('/runs/1', BEFORE), readable('/runs/2', AFTER)), ['templates', 'prompts', 'classes']);
  const other = { ...AFTER, model: { id: '/models/other-clip', dim: 8 }, classes: BEFORE.classes, templates: BEFORE.templates, dataset: { ...BEFORE.dataset, splits: { train: 11, val: 4, test: 6 } } };
  const d = compareRuns(readable('/runs/1', BEFORE), readable('/runs/3', other));
  assert.deepEqual(d.changes, ['model: /models/tiny-clip → /models/other-clip', 'images: train 10 → 11']);
  assert.deepEqual(compareRuns(readable('/runs/1', BEFORE), readable('/runs/4', { ...BEFORE, runId: 'x', createdAt: '2026-01-03T00:00:00Z' })).changes, []);
});

test("templates come from run.json when report.json predates its templates field; unknown templates are said, not guessed", () => {
  const { templates: _, ...old } = BEFORE;
  const fromRunJson = readable('/runs/1', old, { templates: ['a photo of a {}.'] });
  assert.deepEqual(fromRunJson.run.templates, ['a photo of a {}.']);
  const none = readable('/runs/1', old);
  assert.equal(none.run.templates, undefined);
  const c = compareRuns(none, readable('/runs/2', AFTER));
  assert.ok(!c.changes.some((t) => t.startsWith('templates')));
  assert.match(c.notes.join('\n'), /the earlier run does not record its templates/);
});

test('NaN in a report reads as a missing value: its change is null, not NaN', () => {
  const text = JSON.stringify(AFTER).replace('"zeroShot":0.75', '"zeroShot":NaN');
  const after = readRun('/runs/2', text).readable!;
  const cat = compareRuns(readable('/runs/1', BEFORE), after).classes.find((x) => x.name === 'cat')!;
  assert.deepEqual(cat.recall.zeroShot, { before: 0.5, after: null, delta: null });
});

test('a run folder with no, broken or classless report.json is an entry with its reason', () => {
  assert.match(readRun('/r', undefined).reason!, /no report\.json/);
  assert.match(readRun('/r', '{"classes": [').reason!, /not valid JSON/);
  assert.match(readRun('/r', '[1, 2]').reason!, /not a JSON object/);
  assert.match(readRun('/r', '{"classes": []}').reason!, /lists no classes/);
  assert.match(readRun('/r', '{"classes": [{"prior": 0.5}]}').reason!, /class without a name/);
});

test('listRuns reads every run folder; sameDataset offers only readable runs of the same dataset, newest first', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gla-compare-'));
  try {
    const write = (id: string, report?: string) => {
      mkdirSync(join(root, id));
      if (report !== undefined) writeFileSync(join(root, id, 'report.json'), report);
    };
    write('run-a', JSON.stringify(BEFORE));
    write('run-b', JSON.stringify(AFTER));
    write('run-c', JSON.stringify({ ...AFTER, createdAt: '2026-01-03T00:00:00Z', runId: 'c' }));
    write('other-dataset', JSON.stringify({ ...AFTER, dataset: { root: '/data/pets' } }));
    write('broken', '{"classes": [');
    write('empty');
    write('.run-d.partial-123', JSON.stringify(AFTER));
    const entries = await listRuns([root, join(root, 'missing')]);
    {
      assert.deepEqual(entries.map((e) => e.runDir.split(/[\\/]/).pop()), ['broken', 'empty', 'other-dataset', 'run-a', 'run-b', 'run-c'], 'hidden folders (runs being written) skipped');
      const base = entries.find((e) => e.runDir.endsWith('run-a'))!.readable!;
      const { runs, unreadable } = sameDataset(base, entries);
      assert.deepEqual(runs.map((r) => r.run.runId), ['c', AFTER.runId], 'the other runs of /data/shapes, newest first');
      assert.deepEqual(unreadable.map((u) => [u.runDir.split(/[\\/]/).pop(), /not valid JSON|no report/.test(u.reason)]), [['broken', true], ['empty', true]]);
      assert.deepEqual(inOrder(runs[0], runs[1]).map((r) => r.run.runId), [AFTER.runId, 'c']);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
