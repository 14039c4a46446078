import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Matrix } from '../../server/src/gla/matrix';
import { sharedDir } from '../helpers/paths';
import { seededRandom } from '../../server/src/dataset/splits';

export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * CLIP-like zero-shot logits on a balanced labelled set: the class signal, noise, and CLIP ViT-B/16's real
 * ImageNet bias log q (as released with the paper) when C = 1000, a log-normal prior otherwise.
 */
export function simulateZeroShot(n: number, c: number, seed = 1): { logits: Matrix; labels: Int32Array; logPrior: Float64Array } {
  const random = seededRandom(seed);
  let logPrior: Float64Array;
  if (c === 1000) {
    const q = JSON.parse(readFileSync(join(sharedDir, 'reference', 'imagenet-clip-vitb16-prior.json'), 'utf8')).prior as number[];
    logPrior = Float64Array.from(q, Math.log);
  } else {
    logPrior = Float64Array.from({ length: c }, () => 0.8 * normal(random));
  }
  const data = new Float32Array(n * c);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % c;
    labels[i] = y;
    for (let j = 0; j < c; j++) data[i * c + j] = 2.5 * normal(random) + logPrior[j] + (j === y ? 6 : 0);
  }
  return { logits: { data, rows: n, cols: c }, labels, logPrior };
}
