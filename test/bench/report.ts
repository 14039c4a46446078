/**
 * Benchmark output: one JSON object per line on stdout, one figure per line, so scripts can grep and parse it.
 * Human-readable progress goes to stderr.
 */
export function figure(name: string, value: number, unit: string, context: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ figure: name, value: Number(value.toPrecision(6)), unit, ...context }) + '\n');
}

export function note(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Median of a few timings: the machines are noisy. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
