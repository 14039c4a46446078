// Issue 9's speed-ups keep every fit at its optimum: warm starts along the λ path, its early stop, the
// preconditioner and the table-driven exp change the path to the optimum, not the optimum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expNonPositive } from '../../server/src/gla/probe/fast-exp';
import { selectLinearProbe, trainLinearProbe } from '../../server/src/gla/probe/probe';
import { probeGradientNorm, randomProbeProblem } from '../helpers/random-probe-problem';
import { manyClassesData } from '../bench/many-classes-data';

test('property: the λ path returns, for its chosen λ, a probe at the optimum (gradient below tolerance)', async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const { train, val, classes, init } = randomProbeProblem(seed, { classes: 3 + (seed % 4), perClass: 6 + 3 * seed, dim: 4 + seed, noise: 0.5 + 0.2 * seed });
    const selection = await selectLinearProbe(train, val, classes, { init });
    const { probe } = selection;
    const gradient = probeGradientNorm(train.features, train.labels, classes, probe.weights, probe.bias, selection.lambda);
    // The path's fits stop at max |∇f| ≤ 1e-5 (or when f stops moving, which leaves it near that).
    assert.ok(gradient < 1e-4, `seed ${seed}: λ = ${selection.lambda}, max |∇f| = ${gradient}`);
    // The same optimum as a cold, tight fit at that λ.
    const cold = await trainLinearProbe(train.features, train.labels, classes, { lambda: selection.lambda, gradientTolerance: 1e-9, maxIterations: 5000, relativeDecrease: 0, precondition: false });
    assert.ok(cold.converged, `seed ${seed}: the reference fit converged`);
    const scale = Math.max(...Array.from(cold.weights, Math.abs));
    const diff = Math.max(...Array.from(cold.weights, (w, k) => Math.abs(w - probe.weights[k])));
    assert.ok(diff < 2e-2 * scale, `seed ${seed}: weights within 2% of the tight optimum (${diff} of ${scale})`);
  }
});

test('property: preconditioned and plain L-BFGS reach the same optimum', async () => {
  for (let seed = 11; seed <= 15; seed++) {
    const { train, classes, init } = randomProbeProblem(seed, { classes: 2 + seed - 10, perClass: 10, dim: 6 });
    for (const lambda of [1e-1, 1e-3]) {
      const options = { lambda, init, gradientTolerance: 1e-9, maxIterations: 5000, relativeDecrease: 0 };
      const plain = await trainLinearProbe(train.features, train.labels, classes, { ...options, precondition: false });
      const preconditioned = await trainLinearProbe(train.features, train.labels, classes, { ...options, precondition: true });
      assert.ok(plain.converged && preconditioned.converged, `seed ${seed}, λ ${lambda}`);
      assert.ok(Math.abs(plain.objective - preconditioned.objective) < 1e-12, `seed ${seed}, λ ${lambda}: ${plain.objective} vs ${preconditioned.objective}`);
      assert.ok(probeGradientNorm(train.features, train.labels, classes, preconditioned.weights, preconditioned.bias, lambda) < 1e-8);
    }
  }
});

test('the table-driven exp agrees with Math.exp to 1e-15 relative on x ≤ 0, and handles its edges', () => {
  let worst = 0;
  for (let k = 0; k <= 200_000; k++) {
    const x = -745 * (k / 200_000) ** 2;
    const exact = Math.exp(x);
    if (exact > 1e-300) worst = Math.max(worst, Math.abs(expNonPositive(x) - exact) / exact);
  }
  assert.ok(worst < 1e-15, `max relative error ${worst}`);
  assert.equal(expNonPositive(0), 1);
  assert.equal(expNonPositive(-1e-300), 1);
  assert.equal(expNonPositive(-800), 0);
  assert.equal(expNonPositive(-Infinity), 0);
  assert.ok(Number.isNaN(expNonPositive(NaN)));
  assert.equal(expNonPositive(1), Math.E);
});

test('at many classes and a strong λ the preconditioner is on by default and saves most iterations', async () => {
  const data = manyClassesData(300, 1, 16);
  const train = { features: data.features, labels: data.labels };
  const options = { lambda: 0.1, init: { weights: data.initWeights }, gradientTolerance: 1e-7, maxIterations: 2000, relativeDecrease: 0 };
  const plain = await trainLinearProbe(train.features, train.labels, 300, { ...options, precondition: false });
  const auto = await trainLinearProbe(train.features, train.labels, 300, options);
  assert.ok(plain.converged && auto.converged);
  assert.ok(auto.iterations * 2 < plain.iterations, `preconditioned ${auto.iterations} vs plain ${plain.iterations} iterations`);
  assert.ok(Math.abs(plain.objective - auto.objective) < 1e-9, `${plain.objective} vs ${auto.objective}`);
});
