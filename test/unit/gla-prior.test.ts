import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimatePrior } from '../../server/src/gla/prior';
import { softmaxRows } from '../../server/src/gla/softmax';
import { classCounts, type Matrix } from '../../server/src/gla/matrix';
import { UserError } from '../../server/src/errors';
import { GlaCase, maxAbsDiff } from '../helpers/gla-cases';

/** Σ_i softmax(z_i/T − log q + log p_l) per class, recomputed independently in float64 (DESIGN step 1's optimality condition). */
function debiasedColumnSums(z: Matrix, labels: Int32Array, logPrior: Float64Array, temperature: number): Float64Array {
  const counts = classCounts(labels, z.cols);
  const s = new Float64Array(z.rows * z.cols);
  for (let i = 0; i < z.rows; i++) {
    for (let j = 0; j < z.cols; j++) s[i * z.cols + j] = z.data[i * z.cols + j] / temperature - logPrior[j] + Math.log(counts[j] / z.rows);
  }
  const p = softmaxRows(s, z.rows, z.cols);
  const sums = new Float64Array(z.cols);
  for (let i = 0; i < z.rows; i++) for (let j = 0; j < z.cols; j++) sums[j] += p[i * z.cols + j];
  return sums;
}

for (const name of ['prior-small', 'prior-medium', 'prior-imbalanced', 'prior-sharp', 'prior-shrink', 'prior-few-samples']) {
  test(`${name}: matches the dense-Newton optimum`, () => {
    const c = new GlaCase(name);
    const expected = c.expected<{ options: { temperature?: number; shrink?: number }; logPrior: number[]; objective: number }>();
    const est = estimatePrior(c.matrix('logits'), c.labels(), expected.options);
    assert.ok(est.converged, 'converged');
    assert.ok(maxAbsDiff(est.logPrior, expected.logPrior) < 1e-8, `log q within 1e-8 (got ${maxAbsDiff(est.logPrior, expected.logPrior)})`);
    assert.ok(Math.abs(est.objective - expected.objective) < 1e-10, `objective ${est.objective} vs ${expected.objective}`);
    const sum = est.prior.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, `q sums to 1 (${sum})`);
  });
}

for (const name of ['prior-small', 'prior-medium', 'prior-imbalanced', 'prior-sharp']) {
  test(`${name}: the debiased model predicts each class as often as it is labelled`, () => {
    const c = new GlaCase(name);
    const { options } = c.expected<{ options: { temperature?: number } }>();
    const z = c.matrix('logits');
    const labels = c.labels();
    const est = estimatePrior(z, labels, options);
    const sums = debiasedColumnSums(z, labels, est.logPrior, options.temperature ?? 1);
    const counts = classCounts(labels, z.cols);
    assert.ok(maxAbsDiff(sums, counts) < 1e-7, `Σ_i p_ic = n_c (max error ${maxAbsDiff(sums, counts)})`);
    assert.ok(est.gradientNorm < 1e-9, `gradient norm ${est.gradientNorm}`);
  });
}

test('shifting every logit of a sample, or all logits, leaves q unchanged', () => {
  const c = new GlaCase('prior-medium');
  const z = c.matrix('logits');
  const labels = c.labels();
  const base = estimatePrior(z, labels);
  const shifted = Float64Array.from(z.data, (v, k) => v + 3.5 + (Math.floor(k / z.cols) % 7));
  const est = estimatePrior({ data: shifted, rows: z.rows, cols: z.cols }, labels);
  assert.ok(maxAbsDiff(est.logPrior, base.logPrior) < 1e-9);
});

test('permuting classes permutes q', () => {
  const c = new GlaCase('prior-imbalanced');
  const z = c.matrix('logits');
  const labels = c.labels();
  const base = estimatePrior(z, labels);
  const perm = Array.from({ length: z.cols }, (_, j) => (j * 5 + 3) % z.cols); // new class j is old class perm[j]
  assert.equal(new Set(perm).size, z.cols);
  const inverse = new Array<number>(z.cols);
  perm.forEach((old, j) => (inverse[old] = j));
  const pz = new Float64Array(z.data.length);
  for (let i = 0; i < z.rows; i++) for (let j = 0; j < z.cols; j++) pz[i * z.cols + j] = z.data[i * z.cols + perm[j]];
  const est = estimatePrior({ data: pz, rows: z.rows, cols: z.cols }, Int32Array.from(labels, (y) => inverse[y]));
  assert.ok(maxAbsDiff(est.logPrior, perm.map((old) => base.logPrior[old])) < 1e-9);
});

test('a class with no labels: a clear error, or with shrinkage the documented result (placed at uniform)', () => {
  const c = new GlaCase('prior-empty-class');
  const expected = c.expected<{ emptyClass: number; logPrior: number[]; objective: number; options: { shrink: number } }>();
  assert.throws(() => estimatePrior(c.matrix('logits'), c.labels()), (err: unknown) => err instanceof UserError && /class 5 has no labelled samples/.test(err.message));
  const est = estimatePrior(c.matrix('logits'), c.labels(), { shrink: expected.options.shrink });
  assert.ok(maxAbsDiff(est.logPrior, expected.logPrior) < 1e-8);
  // θ of the empty class equals the mean θ: log q there is the mean of log q.
  const mean = est.logPrior.reduce((a, b) => a + b, 0) / est.logPrior.length;
  assert.ok(Math.abs(est.logPrior[expected.emptyClass] - mean) < 1e-9);
});

test('logits of ±1e4 give the optimum without NaN', () => {
  const c = new GlaCase('prior-extreme');
  const expected = c.expected<{ objective: number; theta4MinusTheta3: number }>();
  const est = estimatePrior(c.matrix('logits'), c.labels());
  assert.ok(est.logPrior.every(Number.isFinite) && est.prior.every(Number.isFinite), 'finite');
  assert.ok(est.converged);
  assert.ok(Math.abs(est.objective - expected.objective) < 1e-9, `objective ${est.objective} vs ${expected.objective}`);
  assert.ok(Math.abs(est.logPrior[4] - est.logPrior[3] - expected.theta4MinusTheta3) < 1e-6);
});

test('one class: q = [1]', () => {
  const one = estimatePrior({ data: new Float32Array([1, 2, 3]), rows: 3, cols: 1 }, new Int32Array(3));
  assert.deepEqual(Array.from(one.prior), [1]);
});

test('N < C works with shrinkage: 5 samples, 20 classes, the shrunk problem\'s gradient is 0 at the estimate', () => {
  const n = 5, c = 20, shrink = 0.2, temperature = 0.7;
  let seed = 12345; // Park–Miller (exact in doubles), so the logits are the same on every run
  const uniform = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const z: Matrix = { data: Float64Array.from({ length: n * c }, () => 6 * uniform() - 3), rows: n, cols: c };
  const labels = new Int32Array([0, 0, 3, 7, 12]);
  assert.throws(() => estimatePrior(z, labels, { temperature }), (err: unknown) => err instanceof UserError && /no labelled samples/.test(err.message));
  const est = estimatePrior(z, labels, { temperature, shrink });
  assert.ok(est.converged && est.logPrior.every(Number.isFinite), 'a finite optimum');
  // ∂F/∂θ_j = n_j/N − (1/N) Σ_i p_ij + κ(θ_j − mean θ) (prior-shift.ts), recomputed here; F is convex, so 0 means optimal.
  const counts = classCounts(labels, c);
  const sums = debiasedColumnSums(z, labels, est.logPrior, temperature);
  const mean = est.logPrior.reduce((a, b) => a + b, 0) / c;
  const gradient = Array.from(est.logPrior, (theta, j) => counts[j] / n - sums[j] / n + shrink * (theta - mean));
  assert.ok(Math.max(...gradient.map(Math.abs)) < 1e-9, `shrunk gradient ${Math.max(...gradient.map(Math.abs))}`);
  // An unlabelled class has p_l = 0, so only the shrinkage places it: at the mean log q, i.e. the geometric mean of q.
  for (let j = 0; j < c; j++) if (counts[j] === 0) assert.ok(Math.abs(est.logPrior[j] - mean) < 1e-9, `class ${j}: ${est.logPrior[j]} vs ${mean}`);
  // The shrinkage is active: the unshrunk condition Σ_i p_ic = n_c does not hold for the labelled classes.
  assert.ok(maxAbsDiff(sums, counts) > 1e-3, `Σ_i p_ic − n_c: ${maxAbsDiff(sums, counts)}`);
});

test('NaN, Inf, out-of-range labels and length mismatches are rejected with a clear error', () => {
  const z = { data: new Float32Array([1, 2, 3, 4]), rows: 2, cols: 2 };
  const bad = (data: Float32Array): Matrix => ({ data, rows: 2, cols: 2 });
  assert.throws(() => estimatePrior(bad(new Float32Array([1, NaN, 3, 4])), new Int32Array([0, 1])), /logits contains NaN at row 0, column 1/);
  assert.throws(() => estimatePrior(bad(new Float32Array([1, 2, Infinity, 4])), new Int32Array([0, 1])), /contains Infinity at row 1, column 0/);
  assert.throws(() => estimatePrior(z, new Int32Array([0, 2])), /labels\[1\] = 2 is out of range/);
  assert.throws(() => estimatePrior(z, new Int32Array([0, 1, 1])), /labels has 3 entries but the logits have 2 rows/);
  assert.throws(() => estimatePrior(z, new Int32Array([0, 1]), { temperature: 0 }), /temperature must be a positive number/);
});
