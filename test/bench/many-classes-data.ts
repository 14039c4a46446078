// Synthetic labelled data for the probe at many classes (issue 9): LabelledData straight from random unit-norm
// features, with no images, so a 10 000-class probe fit can be timed on its own.
import { seededRandom } from '../../server/src/dataset/splits';
import type { LabelledData } from '../../server/src/engine/fit-models';
import { normalizeRows } from '../../server/src/gla/zero-shot';
import { normal } from './simulated-logits';

/** CLIP's logit scale s. */
const LOGIT_SCALE = 100;

/**
 * `classes` × `perClass` images in `dim` dimensions: class c has a random direction t_c, its images are
 * norm(t_c + noise of norm ≈ 0.6) and its text head norm(t_c + noise of norm ≈ 0.4), so zero-shot is good but not perfect. Every image
 * goes to train unless `valPerClass` of each class go to val, as a seeded split of 1-image classes does.
 */
export function manyClassesData(classes: number, perClass: number, dim: number, valPerClass = 0, seed = 3): LabelledData {
  const random = seededRandom(seed);
  const centres = normalizeRows({ data: Float64Array.from({ length: classes * dim }, () => normal(random)), rows: classes, cols: dim });
  const noisy = (c: number, sigma: number, out: Float64Array, off: number): void => {
    for (let j = 0; j < dim; j++) out[off + j] = centres.data[c * dim + j] + sigma * normal(random);
  };
  const n = classes * perClass;
  const raw = new Float64Array(n * dim);
  const labels = new Int32Array(n);
  const train: number[] = [];
  const val: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < perClass; k++) {
      const i = c * perClass + k;
      labels[i] = c;
      noisy(c, 0.6 / Math.sqrt(dim), raw, i * dim);
      (k < valPerClass ? val : train).push(i);
    }
  }
  const headRaw = new Float64Array(classes * dim);
  for (let c = 0; c < classes; c++) noisy(c, 0.4 / Math.sqrt(dim), headRaw, c * dim);
  const features = normalizeRows({ data: raw, rows: n, cols: dim });
  const head = normalizeRows({ data: headRaw, rows: classes, cols: dim });
  return {
    features,
    labels,
    train,
    val,
    test: [],
    initWeights: Float64Array.from(head.data, (v) => v * LOGIT_SCALE),
  };
}
