import { argmaxRow, type Matrix } from '../gla/matrix';
import { logSumExpRow } from '../gla/softmax';
import { csvLine } from '../store/csv';

export interface PredictionRow {
  path: string;
  split?: string;
  given?: string;
}

/** Each model's predicted class per row (absent models are blank columns: no probe in label-free runs). */
export interface PredictionColumns {
  zeroShot: Int32Array;
  debiased: Int32Array;
  finetuned?: Int32Array;
  ensemble?: Int32Array;
  gla?: Int32Array;
  /** The final model's probability of its prediction: GLA's, or the debiased model's in label-free runs; NaN: none. */
  probability: Float64Array;
}

/**
 * predictions.csv: one row per image with its given label and the five models' predictions, plus the
 * probability of the final prediction (GLA's; the debiased model's in label-free runs). A model without a
 * prediction for a row (−1: the user's model has no logits for that image) leaves its cell blank.
 */
export function predictionsCsv(rows: PredictionRow[], names: string[], columns: PredictionColumns): string {
  const header = ['path', 'split', 'given', 'zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla', columns.gla ? 'glaProbability' : 'debiasedProbability'];
  const lines = [header.join(',')];
  rows.forEach((row, i) => {
    const pick = (m: Int32Array | undefined): string => (m && m[i] >= 0 ? names[m[i]] : '');
    const p = columns.probability[i];
    lines.push(
      // Paths and class names are the user's text (defused); the probability stays a number.
      csvLine([row.path, row.split ?? '', row.given ?? '', pick(columns.zeroShot), pick(columns.debiased), pick(columns.finetuned), pick(columns.ensemble), pick(columns.gla), Number.isNaN(p) ? '' : p.toFixed(6)]),
    );
  });
  return lines.join('\n') + '\n';
}

/** Columns from whole logits matrices (gla classify, label-free runs): argmax per row, the final model's probability. */
export function columnsFromLogits(logits: { zeroShot: Matrix; debiased: Matrix; finetuned?: Matrix; ensemble?: Matrix; gla?: Matrix }): PredictionColumns {
  const argmax = (m: Matrix): Int32Array => Int32Array.from({ length: m.rows }, (_, i) => argmaxRow(m.data, i, m.cols));
  const final = logits.gla ?? logits.debiased;
  const best = argmax(final);
  const probability = Float64Array.from(best, (p, i) => Math.exp(final.data[i * final.cols + p] - logSumExpRow(final.data, i * final.cols, final.cols)));
  return {
    zeroShot: argmax(logits.zeroShot),
    debiased: argmax(logits.debiased),
    finetuned: logits.finetuned && argmax(logits.finetuned),
    ensemble: logits.ensemble && argmax(logits.ensemble),
    gla: logits.gla && best,
    probability,
  };
}
