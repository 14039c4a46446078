// How numbers read in the panel: percentages, nats with a sign, q in three significant digits. n/a for missing.
export const NA = 'n/a';

export function percent(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : `${(v * 100).toFixed(digits)}%`;
}

/** A signed difference of recalls in percentage points. */
export function points(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NA;
  const p = v * 100;
  return `${p > 0.05 ? '+' : p < -0.05 ? '−' : '±'}${Math.abs(p).toFixed(0)}`;
}

export function nats(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NA;
  return `${v < 0 ? '−' : v > 0 ? '+' : ''}${Math.abs(v).toFixed(2)}`;
}

export function prior(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return NA;
  return v >= 0.001 ? v.toPrecision(3) : v.toExponential(2).replace('e-', 'e−');
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}
