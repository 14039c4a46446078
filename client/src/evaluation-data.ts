// The per-image table behind the panel's confusion matrix and image grid, read from a run's predictions.csv: each
// image's split, given class and every model's prediction and confidence, as class indices into the report's
// classes. A name that is not one of them (a hand-edited CSV) counts as no prediction. No vscode import.
import type { EvaluationData, ModelKind, SplitName } from './bias-panel-api';
import { parseCsv } from './csv-text';
import { MODEL_KINDS } from '../../server/src/engine/report';

// The matrix arithmetic lives apart (confusion.ts), so the webview bundle takes it without the CSV reader.
export { confusionCounts, f1Score, perClassScores, topConfusions } from './confusion';

export const SPLIT_CODES: readonly (SplitName | 'none')[] = ['train', 'val', 'test', 'none'];

/** Which rows the report's metrics count: the test split, or every labelled image when the run had none. */
export function onEvaluatedSplit(evaluatedOn: string, split: SplitName | 'none'): boolean {
  return evaluatedOn === 'test' ? split === 'test' : true;
}

/** The extension's copy: the page's data plus each row's path (sent to the page only for the images in view). */
export interface EvaluationTable extends EvaluationData {
  /** Relative to the dataset root, with / separators. */
  paths: string[];
}

/** What the page gets first: everything but the paths and the confidences (those follow the matrix's paint). */
export function forThePage(table: EvaluationTable): EvaluationData {
  const { paths: _paths, confidence: _confidence, ...page } = table;
  return { ...page, confidence: {} };
}

export function evaluationFromPredictions(csv: string, classNames: readonly string[], evaluatedOn: string): EvaluationTable | null {
  const [header, ...rows] = parseCsv(csv);
  if (!header) return null;
  const col = (name: string) => header.indexOf(name);
  const [path, split, given] = ['path', 'split', 'given'].map(col);
  if (path < 0 || given < 0) return null;
  const index = new Map(classNames.map((name, i) => [name, i]));
  const classOf = (name: string | undefined) => (name ? (index.get(name) ?? -1) : -1);
  const models = MODEL_KINDS.filter((k) => col(k) >= 0 && rows.some((r) => r[col(k)]));
  const n = rows.filter((r) => r[path]).length;
  const data: EvaluationTable = {
    evaluatedOn,
    models,
    images: n,
    paths: [],
    split: new Uint8Array(n),
    given: new Int32Array(n),
    evaluated: new Uint8Array(n),
    predicted: {},
    confidence: {},
    unknownNames: 0,
  };
  for (const k of models) {
    data.predicted[k] = new Int32Array(n);
    data.confidence[k] = new Float32Array(n);
  }
  const probabilityColumn = (k: ModelKind) => col(`${k}Probability`);
  let i = 0;
  for (const r of rows) {
    if (!r[path]) continue;
    const s = SPLIT_CODES.indexOf((r[split] ?? '') as SplitName);
    const code = s >= 0 ? s : SPLIT_CODES.indexOf('none');
    const y = classOf(r[given]);
    if (r[given] && y < 0) data.unknownNames++;
    data.paths.push(r[path]);
    data.split[i] = code;
    data.given[i] = y;
    data.evaluated[i] = y >= 0 && onEvaluatedSplit(evaluatedOn, SPLIT_CODES[code]) ? 1 : 0;
    for (const k of models) {
      const name = r[col(k)];
      const p = classOf(name);
      if (name && p < 0) data.unknownNames++;
      data.predicted[k]![i] = p;
      const c = probabilityColumn(k) >= 0 && r[probabilityColumn(k)] ? Number(r[probabilityColumn(k)]) : NaN;
      data.confidence[k]![i] = Number.isFinite(c) ? c : NaN;
    }
    i++;
  }
  return data;
}

