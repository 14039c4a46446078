// What each exported model computes after the image embedding, folded in float64 exactly as `gla classify` forms
// it (engine/classify.ts, gla/ensemble.ts): one linear map of the normalised embedding, plus the user's classifier's
// logits scaled, when the run's fine-tuned model is theirs.
import { UserError } from '../../errors';
import type { RunArtifacts } from '../run-artifacts';

/** The models `gla export --model` offers, in the user's words. */
export const EXPORT_MODELS = ['gla', 'debiased', 'zero-shot', 'finetuned'] as const;
export type ExportModel = (typeof EXPORT_MODELS)[number];

export interface HeadWeights {
  classes: number;
  dim: number;
  /** logits += x̂·W + b, x̂ the unit-norm embedding; W is D × C, row-major. Absent: no CLIP term. */
  linear?: { weights: Float64Array; bias: Float64Array };
  /** logits += scale · z_user[:, columnOf] (the user's classifier, its columns in the dataset's class order). */
  classifier?: { columnOf: number[]; scale: number };
  /** In words, for config.json: what the logits are. */
  formula: string;
}

/** C × D text head t (rows t_c) → D × C, times `scale`; added into `into` when given. */
function transposed(rows: ArrayLike<number>, classes: number, dim: number, scale: number, into: Float64Array = new Float64Array(classes * dim)): Float64Array {
  for (let c = 0; c < classes; c++) for (let d = 0; d < dim; d++) into[d * classes + c] += scale * rows[c * dim + d];
  return into;
}

/** The chosen model's head, or a clear line saying why the run has no such model. */
export function headWeights(run: RunArtifacts, model: ExportModel, runDir: string): HeadWeights {
  const classes = run.classes.length;
  const dim = run.head.cols;
  const s = run.model.logitScale;
  const T = run.temperature;
  const logQ = run.logPrior;
  const calibration = run.finetuned ?? run.probe;
  const user = run.finetuned?.user;
  const needsFinetuned = model === 'gla' || model === 'finetuned';
  if (needsFinetuned && !calibration) {
    throw new UserError(`${runDir}: a label-free run has no fine-tuned model, so no ${model} model to export; use --model debiased (or zero-shot)`);
  }
  if (needsFinetuned && user?.source === 'logits') {
    throw new UserError(`${runDir}: the run's fine-tuned model is a logits file (${user.name}), which cannot classify new images; export --model debiased (or zero-shot), or analyze with --finetuned MODEL_DIR`);
  }
  if (needsFinetuned && !user && !run.probeWeights) throw new UserError(`${runDir}: the run has no probe weights (probe-weights.npy)`);
  switch (model) {
    case 'zero-shot':
      return { classes, dim, linear: { weights: transposed(run.head.data, classes, dim, s), bias: new Float64Array(classes) }, formula: 's·⟨norm(x), t_c⟩' };
    case 'debiased':
      return { classes, dim, linear: { weights: transposed(run.head.data, classes, dim, s / T), bias: Float64Array.from(logQ, (v) => -v) }, formula: 's·⟨norm(x), t_c⟩/T − log q' };
    case 'finetuned': {
      if (user) return { classes, dim, classifier: { columnOf: user.columnOf, scale: 1 }, formula: `z_ft (${user.name}'s logits)` };
      const probe = run.probeWeights!;
      return { classes, dim, linear: { weights: transposed(probe.weights, classes, dim, 1), bias: Float64Array.from(probe.bias) }, formula: 'W·norm(x) + b (the linear probe)' };
    }
    case 'gla': {
      const ft = calibration!;
      const weights = transposed(run.head.data, classes, dim, s / T);
      const bias = Float64Array.from(logQ, (v, c) => -v - ft.logTrainPrior[c]);
      const formula = 'z_ft/T_ft + s·⟨norm(x), t_c⟩/T − log q − log p_s';
      if (user) return { classes, dim, linear: { weights, bias }, classifier: { columnOf: user.columnOf, scale: 1 / ft.temperature }, formula };
      const probe = run.probeWeights!;
      transposed(probe.weights, classes, dim, 1 / ft.temperature, weights);
      for (let c = 0; c < classes; c++) bias[c] += probe.bias[c] / ft.temperature;
      return { classes, dim, linear: { weights, bias }, formula };
    }
  }
}
