/**
 * e^x for x ≤ 0 to a relative error of about 1e-15, in half Math.exp's time in V8: the probe's softmax (DESIGN
 * step 4) takes one per image × class, and at 10 000 classes those exps are most of a fit's time.
 * Table-driven (Tang's method): x = (64m + j)·ln2/64 + r with |r| ≤ ln2/128, e^x = 2^m · 2^(j/64) · p(r).
 */
const STEPS = 64;
const INV_STEP = STEPS / Math.LN2;
// ln2/64 in two parts (fdlibm's ln2_hi, ln2_lo): k·STEP_HI is exact for the k we meet, the low part carries the rest.
const STEP_HI = 6.9314718036912381649e-1 / STEPS;
const STEP_LO = 1.90821492927058770002e-10 / STEPS;
/** Below this e^x is under 2^-1074 (0 in float64). */
const UNDERFLOW = -745.2;
const MIN_EXPONENT = -1100;
/** Adding then subtracting 1.5·2^52 rounds a double of magnitude < 2^51 to the nearest integer (Math.round is slower). */
const ROUNDER = 1.5 * 2 ** 52;

/** 2^(j/64), j = 0..63. */
const FRACTIONS = Float64Array.from({ length: STEPS }, (_, j) => Math.pow(2, j / STEPS));
/** 2^m for m = MIN_EXPONENT..0, at index m − MIN_EXPONENT. */
const POWERS = Float64Array.from({ length: 1 - MIN_EXPONENT }, (_, i) => Math.pow(2, i + MIN_EXPONENT));

export function expNonPositive(x: number): number {
  if (x <= UNDERFLOW) return 0;
  if (!(x <= 0)) return Math.exp(x); // positive or NaN: outside the table
  const kf = x * INV_STEP + ROUNDER - ROUNDER;
  const r = x - kf * STEP_HI - kf * STEP_LO;
  const k = kf | 0;
  // |r| ≤ 0.0055: degree 6 leaves a relative error under 1e-17.
  const p = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  return POWERS[(k >> 6) - MIN_EXPONENT] * FRACTIONS[k & 63] * p;
}
