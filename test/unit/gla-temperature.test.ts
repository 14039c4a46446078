import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  estimatePriorWithConfidenceTemperature,
  estimatePriorWithLikelihoodTemperature,
  temperatureByLikelihood,
} from '../../server/src/gla/temperature';
import { matchPrior } from '../../server/src/gla/label-free';
import { estimatePrior } from '../../server/src/gla/prior';
import { softmaxRows } from '../../server/src/gla/softmax';
import { meanCrossEntropy } from '../../server/src/gla/cross-entropy';
import { GlaCase, maxAbsDiff } from '../helpers/gla-cases';

test('likelihood temperature: joint (1/T, θ) optimum matches dense Newton', () => {
  const c = new GlaCase('temperature-likelihood');
  const expected = c.expected<{ temperature: number; logPrior: number[]; objective: number }>();
  const est = estimatePriorWithLikelihoodTemperature(c.matrix('logits'), c.labels());
  assert.equal(est.temperatureRule, 'likelihood');
  assert.ok(Math.abs(est.temperature - expected.temperature) < 1e-7 * expected.temperature, `T ${est.temperature} vs ${expected.temperature}`);
  assert.ok(maxAbsDiff(est.logPrior, expected.logPrior) < 1e-7);
  assert.ok(Math.abs(est.objective - expected.objective) < 1e-10);
});

test('likelihood temperature: no neighbouring temperature does better (optimality in T)', () => {
  const c = new GlaCase('temperature-likelihood');
  const z = c.matrix('logits');
  const labels = c.labels();
  const best = estimatePriorWithLikelihoodTemperature(z, labels);
  // Profile objective at a fixed T: the exact minimum over θ.
  const at = (t: number): number => estimatePrior(z, labels, { temperature: t }).objective;
  assert.ok(at(best.temperature * 0.98) > best.objective);
  assert.ok(at(best.temperature * 1.02) > best.objective);
});

test("confidence temperature: the reference's rule, mean max-confidence equals accuracy", () => {
  const c = new GlaCase('temperature-confidence');
  const expected = c.expected<{ temperature: number; logPrior: number[] }>();
  const z = c.matrix('logits');
  const labels = c.labels();
  const est = estimatePriorWithConfidenceTemperature(z, labels);
  assert.ok(Math.abs(est.temperature - expected.temperature) < 1e-6 * expected.temperature, `T ${est.temperature} vs ${expected.temperature}`);
  assert.ok(maxAbsDiff(est.logPrior, expected.logPrior) < 1e-6);
  const scaled = Float64Array.from(z.data, (v) => v / est.temperature);
  const p = softmaxRows(scaled, z.rows, z.cols);
  let conf = 0;
  let correct = 0;
  for (let i = 0; i < z.rows; i++) {
    let arg = 0;
    for (let j = 1; j < z.cols; j++) if (p[i * z.cols + j] > p[i * z.cols + arg]) arg = j;
    conf += p[i * z.cols + arg];
    if (arg === labels[i]) correct++;
  }
  assert.ok(Math.abs(conf / z.rows - correct / z.rows) < 1e-9);
});

test('fine-tuned temperature by likelihood minimises the NLL', () => {
  const c = new GlaCase('metrics');
  const z = c.matrix('logits');
  const labels = c.labels();
  const { temperature } = temperatureByLikelihood(z, labels);
  const nll = (t: number): number => meanCrossEntropy({ data: Float64Array.from(z.data, (v) => v / t), rows: z.rows, cols: z.cols }, labels);
  assert.ok(nll(temperature) < nll(temperature * 1.01) && nll(temperature) < nll(temperature * 0.99));
});

for (const name of ['label-free-uniform', 'label-free-target']) {
  test(`${name}: mean debiased prediction equals the target prior`, () => {
    const c = new GlaCase(name);
    const expected = c.expected<{ temperature: number; target: number[]; logPrior: number[] }>();
    const z = c.matrix('logits');
    const est = matchPrior(z, { temperature: expected.temperature, target: Float64Array.from(expected.target) });
    assert.ok(maxAbsDiff(est.logPrior, expected.logPrior) < 1e-8);
    const s = Float64Array.from(z.data, (v, k) => v / expected.temperature - est.logPrior[k % z.cols]);
    const p = softmaxRows(s, z.rows, z.cols);
    const mean = new Float64Array(z.cols);
    for (let k = 0; k < p.length; k++) mean[k % z.cols] += p[k] / z.rows;
    assert.ok(maxAbsDiff(mean, expected.target) < 1e-9);
  });
}

test('label-free: a target that is not a distribution is rejected', () => {
  const z = { data: new Float32Array([1, 2, 3, 4]), rows: 2, cols: 2 };
  assert.throws(() => matchPrior(z, { target: Float64Array.from([0.5, 0.6]) }), /sums to 1.1/);
  assert.throws(() => matchPrior(z, { target: Float64Array.from([1, 0]) }), /must be positive/);
});
