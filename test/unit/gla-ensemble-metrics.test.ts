import { test } from 'node:test';
import assert from 'node:assert/strict';
import { glaLogits, logDistribution, debiasedLogits } from '../../server/src/gla/ensemble';
import { classGroups, evaluateLogits } from '../../server/src/gla/metrics';
import { estimatePrior } from '../../server/src/gla/prior';
import { classCounts, predictions } from '../../server/src/gla/matrix';
import { GlaCase, maxAbsDiff } from '../helpers/gla-cases';

test('GLA ensemble reproduces the reference logits and accuracy, and beats both models on a long-tailed split', () => {
  const c = new GlaCase('gla-ensemble');
  const expected = c.expected<{ logPrior: number[]; glaTop1: number; glaFirstRow: number[]; zeroShotTop1: number; finetunedTop1: number }>();
  const prior = estimatePrior(c.matrix('labelled_logits'), c.labels('labelled_labels'));
  assert.ok(maxAbsDiff(prior.logPrior, expected.logPrior) < 1e-8);
  const zeroShot = c.matrix('zeroshot');
  const train = c.labels('train_labels');
  const gla = glaLogits({
    zeroShot,
    finetuned: c.matrix('finetuned'),
    logPrior: prior.logPrior,
    logTrainPrior: logDistribution(classCounts(train, zeroShot.cols), 'train labels'),
  });
  assert.ok(maxAbsDiff(gla.data.subarray(0, gla.cols), expected.glaFirstRow) < 1e-4);
  const labels = c.labels();
  const top1 = evaluateLogits(gla, labels).top1;
  assert.equal(top1, expected.glaTop1);
  assert.ok(top1 > expected.zeroShotTop1 && top1 > expected.finetunedTop1, `GLA ${top1} vs zero-shot ${expected.zeroShotTop1}, fine-tuned ${expected.finetunedTop1}`);
});

test('debiasing subtracts log q: the argmax changes exactly where log q decides it', () => {
  const z = { data: Float64Array.from([2, 1, 0.5, 1]), rows: 2, cols: 2 };
  const d = debiasedLogits(z, Float64Array.from([Math.log(0.9), Math.log(0.1)]));
  assert.deepEqual(Array.from(predictions(d)), [1, 1]);
  assert.ok(Math.abs(d.data[0] - (2 - Math.log(0.9))) < 1e-15);
});

test('temperatures and a target prior enter the ensemble as DESIGN step 5 writes it', () => {
  const z = { data: Float64Array.from([1, 2]), rows: 1, cols: 2 };
  const f = { data: Float64Array.from([3, -1]), rows: 1, cols: 2 };
  const out = glaLogits({
    zeroShot: z,
    finetuned: f,
    logPrior: Float64Array.from([-1, -2]),
    zeroShotTemperature: 2,
    finetunedTemperature: 4,
    logTrainPrior: Float64Array.from([-0.5, -1.5]),
    logTargetPrior: Float64Array.from([-0.25, -3]),
  });
  assert.ok(maxAbsDiff(out.data, [3 / 4 + 1 / 2 + 1 + 0.5 - 0.25, -1 / 4 + 2 / 2 + 2 + 1.5 - 3]) < 1e-15);
  assert.throws(() => logDistribution([3, 0, 2], 'train labels'), /class 1 has 0/);
});

test('metrics match the NumPy reference: top-1, recall, precision, head/medium/tail, NLL, ECE', () => {
  const c = new GlaCase('metrics');
  const e = c.expected<Record<string, any>>();
  const ev = evaluateLogits(c.matrix('logits'), c.labels(), classGroups(e.prior));
  assert.equal(ev.top1, e.top1);
  assert.ok(Math.abs(ev.meanRecall - e.meanRecall) < 1e-12);
  assert.deepEqual(ev.perClassRecall.map((v) => v && +v.toFixed(12)), e.perClassRecall.map((v: number | null) => v && +v.toFixed(12)));
  assert.deepEqual(ev.perClassPrecision.map((v) => v && +v.toFixed(12)), e.perClassPrecision.map((v: number | null) => v && +v.toFixed(12)));
  for (const k of ['head', 'medium', 'tail'] as const) assert.ok(Math.abs((ev[k] as number) - e[k]) < 1e-12, k);
  assert.ok(Math.abs(ev.nll - e.nll) < 1e-6);
  assert.ok(Math.abs(ev.ece - e.ece) < 1e-6);
});

test('class groups are thirds by descending score, ties in class order', () => {
  assert.deepEqual(classGroups([0.1, 0.5, 0.2, 0.9, 0.3, 0.05]), ['tail', 'head', 'medium', 'head', 'medium', 'tail']);
  assert.deepEqual(classGroups([1, 1, 1, 1]), ['head', 'medium', 'medium', 'tail']);
});

test('a class without samples has null recall and is left out of the mean', () => {
  const ev = evaluateLogits({ data: Float64Array.from([2, 0, 0, 0, 2, 0]), rows: 2, cols: 3 }, Int32Array.from([0, 1]));
  assert.deepEqual(ev.perClassRecall, [1, 1, null]);
  assert.equal(ev.meanRecall, 1);
  assert.deepEqual(ev.perClassPrecision, [1, 1, null]);
});
