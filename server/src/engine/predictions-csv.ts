import { argmaxRow, type Matrix } from '../gla/matrix';
import { logSumExpRow } from '../gla/softmax';

/** RFC 4180 quoting: only fields with a comma, quote or line break are quoted. */
export function csvField(value: string | number): string {
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

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
      [row.path, row.split ?? '', row.given ?? '', pick(columns.zeroShot), pick(columns.debiased), pick(columns.finetuned), pick(columns.gla), probability.toFixed(6)]
        .map(csvField)
        .join(','),
    );
  });
  return lines.join('\n') + '\n';
}
