import { estimatePrior } from '../../server/src/gla/prior';
import { labelledPriorProblem } from '../../server/src/gla/prior';
import { referencePriorEstimate } from './reference-prior';
import { simulateZeroShot } from './simulated-logits';
import { figure, median, note } from './report';

/** Issue 2's figures: our exact prior at N = 16 000, C = 1000 beside the reference estimator on the same logits. */
export async function benchPrior(n = 16000, c = 1000): Promise<void> {
  note(`simulating ${n} × ${c} zero-shot logits`);
  const { logits, labels } = simulateZeroShot(n, c);
  const context = { n, c };
  const runs: number[] = [];
  let last = estimatePrior(logits, labels);
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    last = estimatePrior(logits, labels);
    runs.push((performance.now() - t0) / 1000);
  }
  const ours = median(runs);
  figure('prior.seconds', ours, 's', context);
  figure('prior.iterations', last.iterations, 'newton-iterations', context);
  figure('prior.gradient_norm', last.gradientNorm, 'l2', context);
  figure('prior.objective', last.objective, 'mean-ce', context);

  note('running the reference estimator: 1000 Lagrangian SGD steps (about a minute)');
  const t0 = performance.now();
  const ref = referencePriorEstimate(logits, labels);
  const refSeconds = (performance.now() - t0) / 1000;
  // Score the reference's q on our objective (shift-invariant, so its unnormalised q is fine).
  const { problem } = labelledPriorProblem(logits, labels, 1, 0);
  const refObjective = ref.nan ? NaN : problem.evaluate(Float64Array.from(ref.q, Math.log), new Float64Array(c));
  const refSum = ref.q.reduce((a, b) => a + b, 0);
  figure('prior.reference.seconds', refSeconds, 's', { ...context, steps: ref.steps });
  figure('prior.reference.objective', refObjective, 'mean-ce', context);
  figure('prior.reference.q_sum', refSum, 'sum', context);
  figure('prior.speedup_vs_reference', refSeconds / ours, 'ratio', context);
  figure('prior.objective_gap_vs_reference', refObjective - last.objective, 'mean-ce', { ...context, note: 'reference minus ours; ≥ 0 means ours is no worse' });
}
