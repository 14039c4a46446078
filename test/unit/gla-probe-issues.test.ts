import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeLogits, selectLinearProbe, trainLinearProbe } from '../../server/src/gla/probe/probe';
import { findLabelIssues } from '../../server/src/gla/label-issues';
import { minimizeLbfgs } from '../../server/src/gla/probe/lbfgs';
import { GemmKernels, onnxProbeAlgebra } from '../../server/src/gemm/gemm-kernels';
import { evaluateLogits } from '../../server/src/gla/metrics';
import { GlaCase, maxAbsDiff } from '../helpers/gla-cases';

test('linear probe reaches the dense-Newton optimum of L2 multinomial logistic regression', async () => {
  const c = new GlaCase('probe');
  const e = c.expected<{ lambda: number; weights: number[]; bias: number[]; objective: number }>();
  const x = c.matrix('features');
  const probe = await trainLinearProbe(x, c.labels(), 3, { lambda: e.lambda, gradientTolerance: 1e-10, maxIterations: 2000, relativeDecrease: 0 });
  assert.ok(probe.converged);
  assert.ok(Math.abs(probe.objective - e.objective) < 1e-10, `${probe.objective} vs ${e.objective}`);
  assert.ok(maxAbsDiff(probe.weights, e.weights) < 1e-6);
  // The bias is identified only up to a shared shift (softmax), so compare centred biases.
  const centre = (v: ArrayLike<number>): number[] => { const m = Array.from(v).reduce((a, b) => a + b, 0) / v.length; return Array.from(v, (b) => b - m); };
  assert.ok(maxAbsDiff(centre(probe.bias), centre(e.bias)) < 1e-6);
});

test('a warm start from the optimum converges at once; a balanced probe weighs classes equally', async () => {
  const c = new GlaCase('probe');
  const e = c.expected<{ lambda: number; weights: number[]; bias: number[] }>();
  const x = c.matrix('features');
  const labels = c.labels();
  const warm = await trainLinearProbe(x, labels, 3, { lambda: e.lambda, init: { weights: Float64Array.from(e.weights), bias: Float64Array.from(e.bias) }, gradientTolerance: 1e-8 });
  assert.ok(warm.iterations <= 2, `iterations ${warm.iterations}`);
  // On balanced data the balanced objective is the same problem.
  const balanced = await trainLinearProbe(x, labels, 3, { lambda: e.lambda, balanced: true, gradientTolerance: 1e-10, maxIterations: 2000, relativeDecrease: 0 });
  assert.ok(maxAbsDiff(balanced.weights, e.weights) < 1e-6);
});

test('λ selection keeps the candidate with the best validation accuracy', async () => {
  const c = new GlaCase('probe');
  const x = c.matrix('features');
  const labels = c.labels();
  const half = (from: number) => ({
    features: { data: x.data.slice(from * x.cols, (from + 45) * x.cols), rows: 45, cols: x.cols },
    labels: labels.slice(from, from + 45),
  });
  const sel = await selectLinearProbe(half(0), half(45), 3, { lambdas: [1, 1e-2, 1e-4] });
  const best = Math.max(...sel.candidates.map((cand) => cand.accuracy));
  assert.equal(sel.candidates.find((cand) => cand.lambda === sel.lambda)!.accuracy, best);
  assert.equal(evaluateLogits(probeLogits(sel.probe, half(45).features), half(45).labels).top1, best);
});

test('L-BFGS minimises the Rosenbrock function', async () => {
  const r = await minimizeLbfgs((x, g) => {
    g[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0]);
    g[1] = 200 * (x[1] - x[0] ** 2);
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2;
  }, Float64Array.from([-1.2, 1]), { gradientTolerance: 1e-9, maxIterations: 1000 });
  assert.ok(r.converged && Math.abs(r.x[0] - 1) < 1e-6 && Math.abs(r.x[1] - 1) < 1e-6);
});

test('the ONNX Runtime GEMM algebra gives the same probe as exact JavaScript, to float32 precision', async () => {
  const c = new GlaCase('probe');
  const e = c.expected<{ lambda: number; objective: number; weights: number[] }>();
  const kernels = await GemmKernels.create(1);
  try {
    const probe = await trainLinearProbe(c.matrix('features'), c.labels(), 3, { lambda: e.lambda, gradientTolerance: 1e-6, maxIterations: 2000, algebra: onnxProbeAlgebra(kernels) });
    assert.ok(Math.abs(probe.objective - e.objective) < 1e-6, `${probe.objective} vs ${e.objective}`);
    assert.ok(maxAbsDiff(probe.weights, e.weights) < 1e-3);
  } finally {
    await kernels.release();
  }
});

test('confident learning finds the planted label flips, as the NumPy re-statement does', () => {
  const c = new GlaCase('label-issues');
  const e = c.expected<{ flipped: number[]; issues: number[] }>();
  const found = findLabelIssues(c.matrix('probabilities'), c.labels());
  assert.deepEqual(found.map((f) => f.index).sort((a, b) => a - b), e.issues);
  const caught = e.flipped.filter((i) => found.some((f) => f.index === i));
  assert.ok(caught.length >= 2, `at least 2 of 3 planted flips found (${caught})`);
  // Most confident issues first, each suggesting a class other than the given one.
  for (let k = 1; k < found.length; k++) {
    assert.ok(found[k - 1].confidence - found[k - 1].selfConfidence >= found[k].confidence - found[k].selfConfidence);
  }
  assert.ok(found.every((f) => f.suggested !== f.given));
});
