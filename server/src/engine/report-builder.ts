import type { Dataset } from '../dataset/discover';
import type { LabelIssueCandidate } from '../gla/label-issues';
import { classCounts } from '../gla/matrix';
import { classGroups, type Evaluation, type EvaluationAccumulator } from '../gla/metrics';
import { MODEL_KINDS, REPORT_VERSION, type ClassReport, type ConfusionPair, type ModelKind, type PerModel, type Report, type SplitName } from './report';

export interface Scored {
  /** Which images: "test", or "cross-validated" when there is no test split. */
  on: string;
  /** The labels of the images GLA scored, in order (its confusions pair them with its predictions). */
  labels: Int32Array;
  /** Each model's metrics, accumulated over those images as the run streamed them. */
  evaluations: PerModel<EvaluationAccumulator>;
}

export interface ReportInputs {
  runId: string;
  createdAt: string;
  model: Report['model'];
  dataset: Dataset;
  /** The templates the zero-shot head was built from (expanded). */
  templates?: readonly string[];
  logPrior: Float64Array;
  prior: Omit<Report['prior'], 'values'>;
  /** Labelled runs only. */
  scored?: Scored;
  probe?: Report['probe'];
  finetuned?: Report['finetuned'];
  labelIssues: LabelIssueCandidate[];
  /** Dataset rows of the labelled images the label-issue candidates index into. */
  labelIssueRows: number[];
  /** Classes whose q is a placeholder: no labelled image to fit it on. */
  unestimatedPrior?: number[];
  failed: Report['failed'];
  embeddings: Report['embeddings'];
  notes: string[];
  timings: Record<string, number>;
}

const round = (v: number): number => Number(v.toPrecision(10));
const nullable = (v: number | null): number | null => (v === null ? null : round(v));

function perModel<T>(make: (kind: ModelKind) => T): PerModel<T> {
  return Object.fromEntries(MODEL_KINDS.map((k) => [k, make(k)])) as PerModel<T>;
}

/** The most frequent (actual, predicted) mistakes under GLA. */
function confusionPairs(labels: Int32Array, predictions: Int32Array, names: string[], top = 10): ConfusionPair[] {
  const counts = new Map<string, number>();
  labels.forEach((y, i) => {
    if (predictions[i] !== y) counts.set(`${y},${predictions[i]}`, (counts.get(`${y},${predictions[i]}`) ?? 0) + 1);
  });
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, top)
    .map(([key, count]) => {
      const [a, p] = key.split(',').map(Number);
      return { actual: names[a], predicted: names[p], count };
    });
}

/** Assembles report.json (DESIGN step 9) from a run's results. */
export function buildReport(inputs: ReportInputs): Report {
  const { dataset, logPrior, scored } = inputs;
  const names = dataset.classes.map((c) => c.name);
  const classes = names.length;
  const byQ = classGroups(logPrior);
  const support = (split: SplitName): Float64Array =>
    classCounts(Int32Array.from(dataset.items.filter((i) => i.split === split && i.label >= 0), (i) => i.label), classes);
  const counts = { train: support('train'), val: support('val'), test: support('test') };
  const byTrain = classGroups(counts.train);
  const evaluations = scored ? perModel((k) => scored.evaluations[k].result(byQ)) : undefined;
  const trainGroups = scored ? perModel((k) => scored.evaluations[k].result(byTrain)) : undefined;
  const metric = (e: Evaluation) => ({ top1: round(e.top1), meanRecall: round(e.meanRecall), head: nullable(e.head), medium: nullable(e.medium), tail: nullable(e.tail), nll: round(e.nll), ece: round(e.ece) });
  const unestimated = new Set(inputs.unestimatedPrior ?? []);
  const classReports: ClassReport[] = dataset.classes.map((cls, c) => ({
    name: cls.name,
    prompt: cls.prompt,
    prior: round(Math.exp(logPrior[c])),
    logPrior: round(logPrior[c]),
    bias: round(logPrior[c] + Math.log(classes)),
    ...(unestimated.has(c) ? { priorEstimated: false as const } : {}),
    group: byQ[c],
    support: { train: counts.train[c], val: counts.val[c], test: counts.test[c] },
    recall: perModel((k) => (evaluations ? nullable(evaluations[k].perClassRecall[c]) : null)),
    precision: perModel((k) => (evaluations ? nullable(evaluations[k].perClassPrecision[c]) : null)),
  }));
  return {
    version: REPORT_VERSION,
    runId: inputs.runId,
    createdAt: inputs.createdAt,
    model: inputs.model,
    dataset: {
      root: dataset.root,
      manifest: dataset.manifestPath,
      splits: { train: dataset.items.filter((i) => i.split === 'train').length, val: dataset.items.filter((i) => i.split === 'val').length, test: dataset.items.filter((i) => i.split === 'test').length },
      splitSource: dataset.splitSource,
      seed: dataset.seed,
    },
    labelFree: dataset.labelFree,
    ...(inputs.templates ? { templates: [...inputs.templates] } : {}),
    prior: { ...inputs.prior, values: Array.from(logPrior, (l) => round(Math.exp(l))) },
    metrics: perModel((k) => (evaluations ? metric(evaluations[k]) : null)),
    evaluatedOn: scored?.on ?? 'none (label-free)',
    byTrainFrequency: perModel((k) => (trainGroups ? { head: nullable(trainGroups[k].head), medium: nullable(trainGroups[k].medium), tail: nullable(trainGroups[k].tail) } : null)),
    classes: classReports,
    labelIssues: inputs.labelIssues.map((issue) => {
      const item = dataset.items[inputs.labelIssueRows[issue.index]];
      return { path: item.relative, given: names[issue.given], suggested: names[issue.suggested], confidence: round(issue.confidence) };
    }),
    failed: inputs.failed,
    confusions: scored && evaluations ? confusionPairs(scored.labels, evaluations.gla.predictions, names) : [],
    finetuned: inputs.finetuned,
    probe: inputs.probe,
    embeddings: inputs.embeddings,
    notes: [...dataset.notes, ...inputs.notes],
    timings: Object.fromEntries(Object.entries(inputs.timings).map(([k, v]) => [k, Number(v.toFixed(3))])),
  };
}

