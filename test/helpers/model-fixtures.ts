// The generated model fixtures (test/fixtures/models/generate.py) and their numpy reference outputs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy, type NpyArray } from '../../server/src/store/npy';
import { generatedFixtures } from './paths';

/** A generated model folder: tiny-clip, tiny-clip-no-mask, identity, identity-fp16, broken-*. */
export function modelFixture(name: string): string {
  return join(generatedFixtures('models'), name);
}

export function towerPath(folder: string, tower: 'vision' | 'text', variant: '' | '_quantized' | '_fp16' = ''): string {
  return join(modelFixture(folder), 'onnx', `${tower}_model${variant}.onnx`);
}

export interface ModelReferences {
  tolerance: { absolute: number; relative: number };
  variantMinCosine: number;
  vision: { pixelValues: string; imageEmbeds: string }[];
  text: { inputIds: string; attentionMask: string; textEmbeds: string }[];
  shapes: { colours: string[]; shapes: string[]; images: string[]; prompts: string[] };
}

const referencesDir = () => join(generatedFixtures('models'), 'references');

export function loadReferences(): ModelReferences {
  return JSON.parse(readFileSync(join(referencesDir(), 'references.json'), 'utf8')) as ModelReferences;
}

export function referenceArray(file: string): Promise<NpyArray> {
  return readNpy(join(referencesDir(), file));
}

/** |actual - expected| <= absolute + relative * |expected|, element by element, naming the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { absolute: number; relative: number }, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const excess = Math.abs(actual[i] - expected[i]) - (tol.absolute + tol.relative * Math.abs(expected[i]));
    if (!(excess <= worstExcess)) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  assert.ok(worst < 0, `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (tolerance ${tol.absolute} + ${tol.relative}·|x|)`);
}

/** Cosine similarity of row r of two [n,d] arrays. */
export function rowCosine(a: ArrayLike<number>, b: ArrayLike<number>, d: number, r: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = r * d; j < (r + 1) * d; j++) {
    ab += a[j] * b[j];
    aa += a[j] * a[j];
    bb += b[j] * b[j];
  }
  return ab / Math.sqrt(aa * bb);
}
