// The prompt lab's engine on the sample: a newer evaluation cancels the one in flight, unchanged prompts cost
// nothing, and the lens wording matches its figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeDataset } from '../../server/src/engine/analyze';
import { PromptLab } from '../../server/src/engine/prompt-lab/prompt-lab';
import { classLine, meanLine } from '../../server/src/engine/prompt-lab/lab-wording';
import type { PromptLabRequest } from '../../server/src/engine/prompt-lab/lab-request';
import { CancelledError } from '../../server/src/errors';
import { repoRoot } from '../helpers/paths';

test('prompt lab: a newer evaluation cancels the one in flight; unchanged prompts answer "unchanged"', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gla-lab-unit-'));
  const lab = new PromptLab();
  t.after(async () => {
    await lab.close();
    rmSync(root, { recursive: true, force: true });
  });
  cpSync(join(repoRoot, 'samples', 'shapes'), join(root, 'shapes'), { recursive: true, dereference: true });
  const cacheDir = join(root, 'cache');
  const { runDir } = await analyzeDataset({ dataset: join(root, 'shapes'), out: join(root, 'run'), cacheDir });
  const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as { model: { dir: string }; classes: { name: string; prompt: string }[]; templates: string[] };
  const request = (prompt: string): PromptLabRequest => ({
    runDir, manifestPath: join(root, 'shapes', 'gla.yaml'), cacheDir, model: run.model.dir, templates: run.templates,
    classes: run.classes.map((c) => ({ name: c.name, prompt: c.name === 'orange_square' ? prompt : c.prompt })),
  });
  assert.deepEqual(await lab.evaluate(request('orange square')), { kind: 'unchanged' });
  const first = lab.evaluate(request('orange shape'));
  const second = lab.evaluate(request('orange orange square'));
  await assert.rejects(first, CancelledError, 'the older edit is dropped');
  const result = await second;
  assert.equal(result.kind, 'recall');
  if (result.kind !== 'recall') return;
  assert.deepEqual(result.changed, { classes: ['orange_square'], templates: false });
  assert.equal(result.encodedPrompts, 3, 'one changed prompt × 3 templates');
  const again = await lab.evaluate(request('orange orange square'));
  assert.equal(again.kind === 'recall' && again.encodedPrompts, 0, 'a prompt seen before comes from the cache');
  // An abort from the caller cancels too.
  const controller = new AbortController();
  const aborted = lab.evaluate(request('orange thing'), controller.signal);
  controller.abort();
  await assert.rejects(aborted, CancelledError);
});

test('prompt lab wording: two decimals, the change signed, n/a without images', () => {
  const c = { name: 'x', before: { zeroShot: 0.4166666667, debiased: 1 }, after: { zeroShot: 0.6666666667, debiased: 0.9166666667 } };
  assert.equal(classLine(c, 'test').title, 'lab: zero-shot 0.42→0.67 (+0.25) · debiased 1.00→0.92 (−0.08)');
  assert.ok(classLine(c, 'test').title.length <= 64, 'fits a 600-pixel editor');
  assert.match(classLine(c, 'test').tooltip, /recall on test, the last run's → under the prompts as typed .* Not yet run/);
  assert.equal(classLine({ ...c, after: { zeroShot: 0.4166666667, debiased: 1 } }, 'test').title, 'lab: zero-shot 0.42→0.42 (no change) · debiased 1.00→1.00 (no change)');
  assert.equal(classLine({ ...c, after: { zeroShot: null, debiased: null } }, 'test').title, 'lab: no test image of x to score');
  assert.equal(meanLine(c, 'all labelled images').title, 'lab: mean zero-shot 0.42→0.67 (+0.25) · debiased 1.00→0.92 (−0.08)');
  assert.match(meanLine(c, 'all labelled images').tooltip, / on all labelled images, /);
});
