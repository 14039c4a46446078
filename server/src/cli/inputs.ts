import { promises as fs } from 'node:fs';
import { UserError } from '../errors';
import { assertFinite, type Matrix } from '../gla/matrix';
import { isFloatDtype, readNpy } from '../store/npy';

/** A 2-D float .npy as samples × classes logits (or features). */
export async function readMatrix(path: string, what: string): Promise<Matrix> {
  const array = await readNpy(path);
  if (!isFloatDtype(array.dtype)) {
    throw new UserError(`${path}: ${what} must be float16, float32 or float64, got ${array.dtype}`);
  }
  if (array.shape.length !== 2) {
    throw new UserError(`${path}: ${what} must be a 2-D array (samples × classes), got shape (${array.shape.join(', ')})`);
  }
  const [rows, cols] = array.shape;
  if (cols === 0) throw new UserError(`${path}: ${what} has no columns`);
  const matrix = { data: array.data as Float32Array | Float64Array, rows, cols };
  // NaN or ±Inf would flow through every command into NaN outputs: all of them refuse it, as prior does.
  assertFinite(matrix, `${path}: ${what}`);
  return matrix;
}

/** A 1-D (or N×1) .npy of integer class indices; integral floats are accepted too. */
export async function readLabels(path: string, what = 'labels'): Promise<Int32Array> {
  const array = await readNpy(path);
  const { shape } = array;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new UserError(`${path}: ${what} must be a 1-D array, got shape (${shape.join(', ')})`);
  }
  const out = new Int32Array(shape[0]);
  for (let i = 0; i < out.length; i++) {
    const v = Number(array.data[i]);
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new UserError(`${path}: ${what}[${i}] = ${String(array.data[i])} is not an integer class index`);
    }
    out[i] = v;
  }
  return out;
}

export interface PriorFile {
  /** Normalised log q. */
  logPrior: Float64Array;
  /** The temperature the prior was estimated at, when the file says. */
  temperature?: number;
  classes?: string[];
}

function numbers(value: unknown): number[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'number') ? (value as number[]) : undefined;
}

/**
 * Reads a prior: `gla prior --json` output ({prior} or {logPrior}), a report.json ({prior: {values}}), a bias
 * profile ({classes, prior}) or a bare array. Probabilities are renormalised (the released GLA vector sums to 0.80).
 */
export async function readPriorFile(path: string, what = 'prior'): Promise<PriorFile> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? String(err)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${path}: not valid JSON (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
  }
  const obj = (typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  const nested = (typeof obj.prior === 'object' && obj.prior !== null && !Array.isArray(obj.prior) ? obj.prior : {}) as Record<string, unknown>;
  const probabilities = numbers(json) ?? numbers(obj.prior) ?? numbers(obj.values) ?? numbers(nested.values);
  const logs = numbers(obj.logPrior);
  const temperatureValue = typeof obj.temperature === 'number' ? obj.temperature : typeof nested.temperature === 'number' ? nested.temperature : undefined;
  const classes = Array.isArray(obj.classes) && obj.classes.every((c) => typeof c === 'string') ? (obj.classes as string[]) : undefined;
  let logPrior: Float64Array;
  if (probabilities) {
    let sum = 0;
    probabilities.forEach((q, j) => {
      if (!(q > 0) || !Number.isFinite(q)) throw new UserError(`${path}: ${what}[${j}] = ${q}; every entry must be positive`);
      sum += q;
    });
    logPrior = Float64Array.from(probabilities, (q) => Math.log(q / sum));
  } else if (logs) {
    let max = -Infinity;
    logs.forEach((l, j) => {
      if (!Number.isFinite(l)) throw new UserError(`${path}: logPrior[${j}] = ${l}; every entry must be finite`);
      max = Math.max(max, l);
    });
    const lse = max + Math.log(logs.reduce((s, l) => s + Math.exp(l - max), 0));
    logPrior = Float64Array.from(logs, (l) => l - lse);
  } else {
    throw new UserError(`${path}: no ${what} found; expected a JSON array or an object with "prior", "logPrior" or "values"`);
  }
  if (logPrior.length === 0) throw new UserError(`${path}: the ${what} is empty`);
  return { logPrior, temperature: temperatureValue, classes };
}

/** Fails unless the arrays agree on the number of classes. */
export function assertSameClasses(expected: number, actual: number, what: string): void {
  if (expected !== actual) throw new UserError(`${what} has ${actual} classes but the logits have ${expected}`);
}
