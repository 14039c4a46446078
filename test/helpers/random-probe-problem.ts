// Small seeded probe problems for property tests: class centres in `dim` dimensions, unit-norm noisy images.
import { seededRandom } from '../../server/src/dataset/splits';
import type { Matrix } from '../../server/src/gla/matrix';

export interface RandomProbeProblem {
  classes: number;
  train: { features: Matrix; labels: Int32Array };
  val: { features: Matrix; labels: Int32Array };
  /** A zero-shot-like warm start: the noisy class centres scaled by 10. */
  init: { weights: Float64Array };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function randomProbeProblem(seed: number, size: { classes: number; perClass: number; dim: number; noise?: number }): RandomProbeProblem {
  const { classes, perClass, dim, noise = 0.8 } = size;
  const random = seededRandom(seed);
  const centres = Float64Array.from({ length: classes * dim }, () => gaussian(random));
  const sample = (n: number): { features: Matrix; labels: Int32Array } => {
    const data = new Float64Array(n * classes * dim);
    const labels = new Int32Array(n * classes);
    for (let i = 0; i < n * classes; i++) {
      const c = i % classes;
      labels[i] = c;
      let sq = 0;
      for (let j = 0; j < dim; j++) {
        const v = centres[c * dim + j] + noise * gaussian(random);
        data[i * dim + j] = v;
        sq += v * v;
      }
      for (let j = 0; j < dim; j++) data[i * dim + j] /= Math.sqrt(sq);
    }
    return { features: { data, rows: n * classes, cols: dim }, labels };
  };
  const init = Float64Array.from(centres, (v) => 10 * (v + 0.3 * gaussian(random)));
  return { classes, train: sample(perClass), val: sample(Math.max(1, perClass >> 1)), init: { weights: init } };
}

/**
 * max |∇f| of DESIGN step 4's objective, mean CE + (λ/2)‖W‖², at (W, b): written out independently of gla/probe.ts,
 * so a property test can check that a fit returned an optimum.
 */
export function probeGradientNorm(features: Matrix, labels: Int32Array, classes: number, weights: Float64Array, bias: Float64Array, lambda: number): number {
  const { rows: n, cols: d, data: x } = features;
  const gw = Float64Array.from(weights, (w) => lambda * w);
  const gb = new Float64Array(classes);
  const z = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < classes; k++) {
      z[k] = bias[k];
      for (let j = 0; j < d; j++) z[k] += weights[k * d + j] * x[i * d + j];
    }
    const max = Math.max(...z);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(z[k] - max);
    for (let k = 0; k < classes; k++) {
      const r = (Math.exp(z[k] - max) / sum - (k === labels[i] ? 1 : 0)) / n;
      gb[k] += r;
      for (let j = 0; j < d; j++) gw[k * d + j] += r * x[i * d + j];
    }
  }
  let m = 0;
  for (const v of gw) m = Math.max(m, Math.abs(v));
  for (const v of gb) m = Math.max(m, Math.abs(v));
  return m;
}
