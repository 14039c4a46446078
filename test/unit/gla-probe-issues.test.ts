import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeLogits, selectLinearProbe, trainLinearProbe } from '../../server/src/gla/probe/probe';
import { findLabelIssues } from '../../server/src/gla/label-issues';
import { minimizeLbfgs } from '../../server/src/gla/probe/lbfgs';
import { ProbeObjectiveKernel } from '../../server/src/gemm/probe-objective';
import { LinearLogitsKernel, javascriptLinearLogits } from '../../server/src/gemm/linear-logits';
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

test('the fused ONNX Runtime objective gives the reference probe, to float32 precision', async () => {
  const c = new GlaCase('probe');
  const e = c.expected<{ lambda: number; objective: number; weights: number[] }>();
  const kernel = await ProbeObjectiveKernel.create(1);
  try {
    const probe = await trainLinearProbe(c.matrix('features'), c.labels(), 3, { lambda: e.lambda, gradientTolerance: 1e-6, maxIterations: 2000, algebra: kernel.algebra() });
    assert.ok(Math.abs(probe.objective - e.objective) < 1e-6, `${probe.objective} vs ${e.objective}`);
    assert.ok(maxAbsDiff(probe.weights, e.weights) < 1e-3);
  } finally {
    await kernel.release();
  }
});

test('the fused objective and its gradient match exact JavaScript over several row blocks, in float32', async () => {
  // 1 000 classes: 8 388 rows per block, so 9 000 rows span two blocks, the last one short.
  const classes = 1000;
  const n = 9000;
  const d = 6;
  const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const r = random(7);
  const x = Float64Array.from({ length: n * d }, r);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % classes);
  const sampleWeights = new Float64Array(n).fill(1 / n);
  const params = Float64Array.from({ length: classes * d + classes }, r);
  const exact = new Float64Array(params.length);
  const js = javascriptAlgebraOf(x, n, d, labels, sampleWeights, classes);
  const exactLoss = await js(params, exact);
  const kernel = await ProbeObjectiveKernel.create(1);
  try {
    const fused = (await kernel.algebra()(Float32Array.from(x), n, d, { labels, sampleWeights, classes, mean: new Float64Array(d) })) as { dataTerm(p: Float64Array, g: Float64Array): Promise<number> };
    const gradient = new Float64Array(params.length);
    const loss = await fused.dataTerm(params, gradient);
    assert.ok(Math.abs(loss - exactLoss) < 1e-5 * exactLoss, `${loss} vs ${exactLoss}`);
    assert.ok(maxAbsDiff(gradient, exact) < 1e-6, `gradient differs by ${maxAbsDiff(gradient, exact)}`);
  } finally {
    await kernel.release();
  }
});

/** The data term Σ w_i·CE and its gradient in [W | b] layout, in float64 from the definitions. */
function javascriptAlgebraOf(x: Float64Array, n: number, d: number, labels: Int32Array, w: Float64Array, classes: number) {
  return async (params: Float64Array, gradient: Float64Array): Promise<number> => {
    gradient.fill(0);
    let loss = 0;
    const s = new Float64Array(classes);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < classes; k++) {
        let v = params[classes * d + k];
        for (let j = 0; j < d; j++) v += params[k * d + j] * x[i * d + j];
        s[k] = v;
        max = Math.max(max, v);
      }
      let sum = 0;
      for (let k = 0; k < classes; k++) sum += Math.exp(s[k] - max);
      loss += w[i] * (max + Math.log(sum) - s[labels[i]]);
      for (let k = 0; k < classes; k++) {
        const residual = w[i] * (Math.exp(s[k] - max) / sum - (k === labels[i] ? 1 : 0));
        for (let j = 0; j < d; j++) gradient[k * d + j] += residual * x[i * d + j];
        gradient[classes * d + k] += residual;
      }
    }
    return loss;
  };
}

test('linear logits on ONNX Runtime match exact JavaScript for any rows, to float32 precision', async () => {
  const features = { data: Float32Array.from({ length: 50 * 8 }, (_, k) => Math.sin(k)), rows: 50, cols: 8 };
  const head = { weights: Float64Array.from({ length: 5 * 8 }, (_, k) => Math.cos(k)), bias: Float64Array.from([1, -1, 0.5, 0, 2]), classes: 5 };
  const rows = [49, 3, 3, 17];
  const kernel = await LinearLogitsKernel.create(1);
  try {
    const onnx = await kernel.logits(features, rows, head);
    const exact = await javascriptLinearLogits(features, rows, head);
    assert.equal(onnx.rows, 4);
    assert.ok(maxAbsDiff(onnx.data, exact.data) < 1e-5);
    assert.ok(onnx.data.some((v) => v !== 0));
  } finally {
    await kernel.release();
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
