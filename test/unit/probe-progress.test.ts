// Issue 9: the probe reports progress (λ k of K, fold f of F, L-BFGS iterations) and stops on an aborted signal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError } from '../../server/src/errors';
import { ABSTAINS, crossFitProbe, fitProbe, outOfSampleRows, type FittedPrior } from '../../server/src/engine/fit-models';
import { selectLinearProbe, trainLinearProbe } from '../../server/src/gla/probe/probe';
import { manyClassesData } from '../bench/many-classes-data';
import { randomProbeProblem } from '../helpers/random-probe-problem';

type Call = { done: number; total: number; message: string };

function recorder(): { calls: Call[]; onProgress: (done: number, total: number, message: string) => void } {
  const calls: Call[] = [];
  return { calls, onProgress: (done, total, message) => void calls.push({ done, total, message }) };
}

function assertProgress(calls: Call[], what: string): void {
  assert.ok(calls.length > 1, `${what}: some progress`);
  for (let k = 1; k < calls.length; k++) assert.ok(calls[k].done >= calls[k - 1].done, `${what}: done never goes back (${calls[k - 1].done} → ${calls[k].done})`);
  assert.ok(calls.every((c) => c.done <= c.total && c.total === calls[0].total), `${what}: one total, never exceeded`);
  const last = calls[calls.length - 1];
  assert.equal(last.done, last.total, `${what}: ends at done === total`);
}

function uniformPrior(classes: number): FittedPrior {
  const q = new Float64Array(classes).fill(1 / classes);
  return {
    prior: { temperature: 1, prior: q, logPrior: q.map(Math.log), objective: 0, gradientNorm: 0, iterations: 0, converged: true, temperatureRule: 'likelihood' },
    priorFittedOn: 'train+val',
    unlabelled: [],
    notes: [],
  };
}

test('selectLinearProbe reports λ k of K with L-BFGS iterations, increasing, ending at done === total', async () => {
  const { train, val, classes, init } = randomProbeProblem(1, { classes: 4, perClass: 12, dim: 6 });
  const { calls, onProgress } = recorder();
  const selection = await selectLinearProbe(train, val, classes, { init, onProgress });
  assertProgress(calls, 'selectLinearProbe');
  assert.equal(calls[0].total, 10, 'K = the default λ path');
  assert.ok(calls.some((c) => /^λ 1 of 10 \(0\.1\): L-BFGS iteration 1$/.test(c.message)), 'iterations are named');
  assert.match(calls[calls.length - 1].message, new RegExp(`λ = ${selection.lambda} chosen of 10`));
});

test('trainLinearProbe and the cross-fitting report progress too', async () => {
  const { train, classes, init } = randomProbeProblem(2, { classes: 3, perClass: 10, dim: 5 });
  const fit = recorder();
  await trainLinearProbe(train.features, train.labels, classes, { lambda: 1e-2, init, onProgress: fit.onProgress });
  assertProgress(fit.calls, 'trainLinearProbe');

  const data = manyClassesData(6, 8, 8, 2);
  const probe = recorder();
  const models = await fitProbe(data, uniformPrior(6), { onProgress: probe.onProgress });
  assertProgress(probe.calls, 'fitProbe');
  const folds = recorder();
  await crossFitProbe(data, models, undefined, undefined, { onProgress: folds.onProgress });
  assertProgress(folds.calls, 'crossFitProbe');
  assert.equal(folds.calls[0].total, 5);
  assert.ok(folds.calls.some((c) => /^cross-fitting the probe: fold 3 of 5: L-BFGS iteration \d+$/.test(c.message)));
});

test('an aborted signal stops selectLinearProbe, fitProbe and the cross-fitting with CancelledError', async () => {
  const { train, val, classes, init } = randomProbeProblem(3, { classes: 4, perClass: 12, dim: 6 });
  const before = new AbortController();
  before.abort();
  await assert.rejects(selectLinearProbe(train, val, classes, { init, signal: before.signal }), CancelledError);
  // Aborted mid-fit, from the progress callback: the next iteration stops.
  const during = new AbortController();
  let after = 0;
  await assert.rejects(
    selectLinearProbe(train, val, classes, {
      init,
      signal: during.signal,
      onProgress: (_done, _total, message) => {
        if (during.signal.aborted) after++;
        if (/iteration 2$/.test(message)) during.abort();
      },
    }),
    CancelledError,
  );
  assert.equal(after, 0, 'no progress after the abort');
  const data = manyClassesData(5, 6, 8, 2);
  await assert.rejects(fitProbe(data, uniformPrior(5), { signal: before.signal }), CancelledError);
  const models = await fitProbe(data, uniformPrior(5));
  await assert.rejects(crossFitProbe(data, models, undefined, undefined, { signal: before.signal }), CancelledError);
});

test('one image per class and no val: one fixed λ, no choice made on the training images, and a note says so', async () => {
  const data = manyClassesData(40, 1, 8);
  const { calls, onProgress } = recorder();
  const models = await fitProbe(data, uniformPrior(40), { onProgress });
  assert.equal(models.probeSelection.length, 1);
  assert.equal(models.probe.lambda, 0.1);
  assert.ok(models.notes.some((n) => /λ was not chosen but fixed at 0\.1/.test(n)), models.notes.join(' | '));
  assertProgress(calls, 'fitProbe, one image per class');
  assert.equal(calls[0].total, 1);
});

test('cross-fitting abstains on a train image whose class has no other train image, and fits no fold of only such images', async () => {
  const data = manyClassesData(6, 8, 8, 2);
  const models = await fitProbe(data, uniformPrior(6));
  // Relabel one train image into a class of its own (class 5's images all move to class 4, but one).
  const lone = data.train.find((i) => data.labels[i] === 5)!;
  data.labels = Int32Array.from(data.labels, (y, i) => (y === 5 && i !== lone ? 4 : y));
  const all = Array.from(data.labels, (_, r) => r);
  const cross = await crossFitProbe(data, models);
  assert.equal(cross.abstained, 1);
  assert.equal(cross.probeOf[lone], ABSTAINS);
  assert.ok(data.val.every((r) => cross.probeOf[r] === -1), 'val images are predicted by the main probe, which never saw them');
  const logits = await outOfSampleRows(data, models, cross, all);
  const row = (r: number) => Array.from(logits.data.subarray(r * 6, (r + 1) * 6));
  assert.ok(row(lone).every((v) => v === 0), 'a constant row: no out-of-sample evidence for its class');
  assert.ok(all.filter((r) => r !== lone).every((r) => row(r).some((v) => v !== 0)), 'every other image is predicted');
  // One image per class: nothing can be predicted out of sample, and no fold is fitted.
  const single = manyClassesData(40, 1, 8, 0);
  const one = await fitProbe(single, uniformPrior(40));
  const progress = recorder();
  const out = await crossFitProbe(single, one, undefined, undefined, { onProgress: progress.onProgress });
  assert.equal(out.abstained, 40);
  assert.ok(out.folds.every((f) => f === undefined));
  assert.ok(!progress.calls.some((c) => /L-BFGS/.test(c.message)));
});
