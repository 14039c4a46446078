import { UserError } from '../errors';
import { assertFinite, type Matrix } from './matrix';

/** DESIGN step 3: the debiased zero-shot model z/T − log q. */
export function debiasedLogits(zeroShot: Matrix, logPrior: Float64Array, temperature = 1): Matrix {
  const { data, rows, cols } = zeroShot;
  if (logPrior.length !== cols) throw new UserError(`the prior has ${logPrior.length} classes but the logits have ${cols}`);
  const out = new Float64Array(rows * cols);
  const beta = 1 / temperature;
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) out[off + j] = beta * data[off + j] - logPrior[j];
  }
  return { data: out, rows, cols };
}

export interface EnsembleInputs {
  zeroShot: Matrix;
  finetuned: Matrix;
  /** log q, CLIP's pre-training prior. */
  logPrior: Float64Array;
  zeroShotTemperature?: number;
  finetunedTemperature?: number;
  /** log p_s, the train label distribution the fine-tuned model absorbed; omitted for a balanced train split. */
  logTrainPrior?: Float64Array;
  /** log π, a declared non-uniform target distribution; omitted for uniform. */
  logTargetPrior?: Float64Array;
}

/** DESIGN step 5: z_gla = z_ft/T_ft + z/T − log q − log p_s + log π. */
export function glaLogits(inputs: EnsembleInputs): Matrix {
  const { zeroShot, finetuned, logPrior } = inputs;
  const { rows, cols } = zeroShot;
  if (finetuned.rows !== rows || finetuned.cols !== cols) {
    throw new UserError(`zero-shot logits are ${rows}×${cols} but fine-tuned logits are ${finetuned.rows}×${finetuned.cols}`);
  }
  const zsT = inputs.zeroShotTemperature ?? 1;
  const ftT = inputs.finetunedTemperature ?? 1;
  for (const [name, t] of [['zero-shot temperature', zsT], ['fine-tuned temperature', ftT]] as const) {
    if (!(t > 0) || !Number.isFinite(t)) throw new UserError(`${name} must be a positive number, got ${t}`);
  }
  for (const [name, v] of [['prior', logPrior], ['train prior', inputs.logTrainPrior], ['target prior', inputs.logTargetPrior]] as const) {
    if (v && v.length !== cols) throw new UserError(`the ${name} has ${v.length} classes but the logits have ${cols}`);
    if (v) assertFinite({ data: v, rows: 1, cols: v.length }, `log ${name}`);
  }
  // One per-class offset: −log q − log p_s + log π.
  const offset = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    offset[j] = -logPrior[j] - (inputs.logTrainPrior?.[j] ?? 0) + (inputs.logTargetPrior?.[j] ?? 0);
  }
  const a = 1 / zsT;
  const b = 1 / ftT;
  const out = new Float64Array(rows * cols);
  const z = zeroShot.data;
  const f = finetuned.data;
  for (let k = 0; k < rows * cols; k++) out[k] = b * f[k] + a * z[k] + offset[k % cols];
  return { data: out, rows, cols };
}

/** log of a distribution given as counts or probabilities; a zero entry is a user error naming the class. */
export function logDistribution(values: ArrayLike<number>, what: string): Float64Array {
  let sum = 0;
  for (let j = 0; j < values.length; j++) sum += values[j];
  const out = new Float64Array(values.length);
  for (let j = 0; j < values.length; j++) {
    if (!(values[j] > 0)) throw new UserError(`${what}: class ${j} has ${values[j]}; every class needs a positive share`);
    out[j] = Math.log(values[j] / sum);
  }
  return out;
}
