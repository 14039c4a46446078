import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Matrix } from '../../server/src/gla/matrix';
import { parseNpy } from '../../server/src/store/npy';
import { generatedFixtures } from './paths';

/** One reference case written by test/fixtures/gla/generate.py. */
export class GlaCase {
  readonly dir: string;
  constructor(readonly name: string) {
    this.dir = join(generatedFixtures('gla'), name);
  }
  path(file: string): string {
    return join(this.dir, file);
  }
  expected<T = Record<string, any>>(): T {
    return JSON.parse(readFileSync(this.path('expected.json'), 'utf8')) as T;
  }
  matrix(name: string): Matrix {
    const a = parseNpy(readFileSync(this.path(`${name}.npy`)), name);
    return { data: a.data as Float32Array | Float64Array, rows: a.shape[0], cols: a.shape[1] };
  }
  labels(name = 'labels'): Int32Array {
    const a = parseNpy(readFileSync(this.path(`${name}.npy`)), name);
    return Int32Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
  }
}

/** max_j |a_j − b_j| */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j] - b[j]));
  return m;
}
