import { argmaxRow, type Matrix } from '../gla/matrix';
import { logSumExpRow } from '../gla/softmax';
import { csvLine } from '../store/csv';

export interface PredictionRow {
  path: string;
  split?: string;
  given?: string;
}

export interface PredictionColumns {
  zeroShot: Matrix;
  debiased: Matrix;
  /** Absent in label-free runs. */
  finetuned?: Matrix;
  gla?: Matrix;
}

/**
 * predictions.csv: one row per image with its given label and the four models' predictions, plus the
 * probability of the final prediction (GLA's; the debiased model's in label-free runs).
 */
export function predictionsCsv(rows: PredictionRow[], names: string[], columns: PredictionColumns): string {
  const header = ['path', 'split', 'given', 'zeroShot', 'debiased', 'finetuned', 'gla', columns.gla ? 'glaProbability' : 'debiasedProbability'];
  const lines = [header.join(',')];
  const final = columns.gla ?? columns.debiased;
  rows.forEach((row, i) => {
    const pick = (m: Matrix | undefined): string => (m ? names[argmaxRow(m.data, i, m.cols)] : '');
    const best = argmaxRow(final.data, i, final.cols);
    const probability = Math.exp(final.data[i * final.cols + best] - logSumExpRow(final.data, i * final.cols, final.cols));
    lines.push(
      // Paths and class names are the user's text (defused); the probability stays a number.
      csvLine([row.path, row.split ?? '', row.given ?? '', pick(columns.zeroShot), pick(columns.debiased), pick(columns.finetuned), pick(columns.gla), probability.toFixed(6)]),
    );
  });
  return lines.join('\n') + '\n';
}
