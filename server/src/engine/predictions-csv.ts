import { argmaxRow, type Matrix } from '../gla/matrix';
import { logSumExpRow } from '../gla/softmax';
import { csvLine } from '../store/csv';
import { MODEL_KINDS, type ModelKind } from './report';

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
  /** Each model's probability of its own prediction (its softmax at the argmax), for the panel's image grid; NaN: none. */
  confidence?: Partial<Record<ModelKind, Float64Array>>;
}

/** The column that holds a model's probability of its own prediction. */
export function probabilityColumn(kind: ModelKind): string {
  return `${kind}Probability`;
}

/**
 * predictions.csv: one row per image with its given label and the five models' predictions, plus the
 * probability of the final prediction (GLA's; the debiased model's in label-free runs). A model without a
 * prediction for a row (−1: the user's model has no logits for that image) leaves its cell blank.
 */
export function predictionsCsv(rows: PredictionRow[], names: string[], columns: PredictionColumns): string {
  const final = probabilityColumn(columns.gla ? 'gla' : 'debiased');
  // The other models' probabilities follow the final one, so readers of the first nine columns see no change.
  const extra = MODEL_KINDS.filter((k) => columns.confidence?.[k] && probabilityColumn(k) !== final);
  const header = ['path', 'split', 'given', 'zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla', final, ...extra.map(probabilityColumn)];
  const lines = [header.join(',')];
  const number = (v: number): string => (Number.isNaN(v) ? '' : v.toFixed(6));
  rows.forEach((row, i) => {
    const pick = (m: Int32Array | undefined): string => (m && m[i] >= 0 ? names[m[i]] : '');
    const p = columns.probability[i];
    lines.push(
      // Paths and class names are the user's text (defused); the probability stays a number.
      csvLine([row.path, row.split ?? '', row.given ?? '', pick(columns.zeroShot), pick(columns.debiased), pick(columns.finetuned), pick(columns.ensemble), pick(columns.gla), number(p), ...extra.map((k) => number(columns.confidence![k]![i]))]),
    );
  });
  return lines.join('\n') + '\n';
}

/** Columns from whole logits matrices (gla classify, label-free runs): argmax per row, the final model's probability. */
export function columnsFromLogits(logits: { zeroShot: Matrix; debiased: Matrix; finetuned?: Matrix; ensemble?: Matrix; gla?: Matrix }): PredictionColumns {
  const argmax = (m: Matrix): Int32Array => Int32Array.from({ length: m.rows }, (_, i) => argmaxRow(m.data, i, m.cols));
  const softmaxAt = (m: Matrix, best: Int32Array): Float64Array => Float64Array.from(best, (p, i) => Math.exp(m.data[i * m.cols + p] - logSumExpRow(m.data, i * m.cols, m.cols)));
  const predicted: Partial<Record<ModelKind, Int32Array>> = {};
  const confidence: Partial<Record<ModelKind, Float64Array>> = {};
  for (const k of MODEL_KINDS) {
    const m = logits[k];
    if (!m) continue;
    predicted[k] = argmax(m);
    confidence[k] = softmaxAt(m, predicted[k]!);
  }
  return {
    zeroShot: predicted.zeroShot!,
    debiased: predicted.debiased!,
    finetuned: predicted.finetuned,
    ensemble: predicted.ensemble,
    gla: predicted.gla,
    probability: Float64Array.from(confidence.gla ?? confidence.debiased!),
    confidence,
  };
}
