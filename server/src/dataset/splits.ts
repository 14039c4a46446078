/** Deterministic shuffles and the stratified splits a run records, so a rerun with the same seed splits the same way. */

/** mulberry32: small, fast, and the same on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates with a seeded generator; returns a new array. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export type Split = 'train' | 'val' | 'test';

/** Fractions of a class that go to val and test when a dataset has no split folders. */
export const SEEDED_FRACTIONS = { val: 0.2, test: 0.2 };

/**
 * Splits each class's items train/val/test 60/20/20 after a seeded shuffle (at least one train item per class;
 * val and test get floor of their share, so a class of 1–4 images stays mostly in train).
 */
export function stratifiedSplit<T>(byClass: readonly (readonly T[])[], seed: number): Map<T, Split> {
  const random = seededRandom(seed);
  const out = new Map<T, Split>();
  for (const items of byClass) {
    const order = shuffled(items, random);
    const n = order.length;
    const test = Math.floor(SEEDED_FRACTIONS.test * n);
    const val = Math.floor(SEEDED_FRACTIONS.val * n);
    order.forEach((item, k) => out.set(item, k < test ? 'test' : k < test + val ? 'val' : 'train'));
  }
  return out;
}

/** K-fold assignment, stratified by class: fold[i] ∈ 0..k−1, each class dealt round-robin after a seeded shuffle. */
export function stratifiedFolds(labels: Int32Array, k: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  const folds = new Int32Array(labels.length);
  const byClass = new Map<number, number[]>();
  labels.forEach((y, i) => {
    const list = byClass.get(y);
    if (list) list.push(i);
    else byClass.set(y, [i]);
  });
  let offset = 0;
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
    shuffled(byClass.get(y)!, random).forEach((i, r) => (folds[i] = (r + offset) % k));
    offset += byClass.get(y)!.length;
  }
  return folds;
}
