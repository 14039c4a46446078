/**
 * report.json, as DESIGN.md pins it (plus fields marked "extra"). Plain serialisable data: the CLI writes it, the
 * language server turns it into diagnostics and hovers, and the bias panel draws it.
 */
import type { DecodeMode } from '../clip/images/preprocessor-config';

export const REPORT_VERSION = 1;

/**
 * The five models a run compares (DESIGN steps 2–5): zero-shot, debiased zero-shot, the fine-tuned model, the naive
 * ensemble z/T + z_ft/T_ft (no debiasing, the paper's baseline) and GLA.
 */
export type ModelKind = 'zeroShot' | 'debiased' | 'finetuned' | 'ensemble' | 'gla';
export const MODEL_KINDS: readonly ModelKind[] = ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla'];

/** Where the fine-tuned model came from: the run's own linear probe, or the user's model or logits file. */
export interface FinetunedSource {
  source: 'probe' | 'model' | 'logits';
  /** The model folder or the logits PREFIX, as given (absent for the probe). */
  path?: string;
  /** sha256 of the model's .onnx file or of the logits .npy. */
  sha256?: string;
  /** What tables and the panel call it: "probe", or the folder's / prefix's base name. */
  name: string;
}

/** "fine-tuned (probe)", "fine-tuned (vit-shapes)": the label every table and the panel give the fine-tuned row. */
export function finetunedLabel(finetuned: Pick<FinetunedSource, 'name'> | undefined): string {
  return `fine-tuned (${finetuned?.name ?? 'probe'})`;
}

export interface ModelMetrics {
  top1: number;
  meanRecall: number;
  /** Mean recall over the third of classes with the largest q (head), the middle third, the smallest third; null when a third has no evaluated images. */
  head: number | null;
  medium: number | null;
  tail: number | null;
  nll: number;
  ece: number;
}

export type PerModel<T> = { [K in ModelKind]: T };
export type SplitName = 'train' | 'val' | 'test';

export interface ClassReport {
  name: string;
  prompt: string;
  prior: number;
  logPrior: number;
  /** extra: log(C·q_c), CLIP's bias toward (+) or against (−) the class in nats against uniform. */
  bias: number;
  /** extra: present (false) when the class had no labelled image to fit q on; q and bias are then placeholders. */
  priorEstimated?: false;
  /** extra: head, medium or tail by q. */
  group: 'head' | 'medium' | 'tail';
  support: Record<SplitName, number>;
  /** null where the model could not be evaluated (no test images of the class, or label-free runs). */
  recall: PerModel<number | null>;
  precision: PerModel<number | null>;
}

export interface LabelIssue {
  /** Path of the image relative to the dataset root, with / separators. */
  path: string;
  given: string;
  suggested: string;
  /** Out-of-sample GLA probability of the suggested class. */
  confidence: number;
}

export interface FailedImage {
  path: string;
  error: string;
}

/** extra: the most confused class pairs under GLA on the evaluation split. */
export interface ConfusionPair {
  actual: string;
  predicted: string;
  count: number;
}

export interface Report {
  version: number;
  /** extra: the run's id (its folder name under .gla/runs/) and when it finished. */
  runId: string;
  createdAt: string;
  /** extra: decode, how JPEG and WebP were decoded (absent in reports before shrink-on-load: every pixel). */
  model: { id: string; dim: number; executionProvider?: string; decode?: DecodeMode };
  dataset: {
    root: string;
    /** extra: the gla.yaml the run used, if any. */
    manifest?: string;
    splits: Record<SplitName, number>;
    /** extra: where the splits came from. */
    splitSource: 'folders' | 'manifest' | 'csv' | 'seeded' | 'shots' | 'none';
    seed?: number;
  };
  labelFree: boolean;
  /** extra: the prompt templates the zero-shot head used, expanded ("{}" stands for each class's prompt), so two runs can say what changed. */
  templates?: string[];
  prior: {
    temperature: number;
    values: number[];
    /** extra: how T was chosen and which samples fitted q and T. */
    temperatureRule?: 'likelihood' | 'confidence' | 'fixed';
    fittedOn?: string;
  };
  /**
   * Metrics on the evaluation split; null for models a label-free run cannot score. A seeds run's metrics are the
   * mean over seeds, with `mean` and `sd` (sample standard deviation) beside them.
   */
  metrics: PerModel<(ModelMetrics & { mean?: ModelMetrics; sd?: ModelMetrics }) | null>;
  /** Where the fine-tuned model came from (absent in label-free runs). */
  finetuned?: FinetunedSource;
  /** extra: a seeds run's seeds; its per-seed reports are in seed-<s>/ beside report.json. */
  seeds?: number[];
  /** extra: which samples the metrics were computed on ("test", or "cross-validated" when there is no test split). */
  evaluatedOn: string;
  /** extra: head/medium/tail mean recall with classes grouped by train frequency instead of q (long-tailed train splits). */
  byTrainFrequency: PerModel<{ head: number | null; medium: number | null; tail: number | null } | null>;
  classes: ClassReport[];
  /** Every confident-learning candidate, most confident first, less those reviewed; shown at labelIssueThreshold or above. */
  labelIssues: LabelIssue[];
  /** extra: candidates left out because .gla/reviewed.json marks them "not an error" (content unchanged). */
  labelIssuesReviewed?: number;
  /** extra: gla.labelIssues.threshold at run time (the least confidence a flag needs; 0.5 when absent). */
  labelIssueThreshold?: number;
  failed: FailedImage[];
  /** extra */
  confusions: ConfusionPair[];
  /** extra: the probe's L2 strength, its calibration temperature, and the validation score of each λ tried. */
  probe?: { lambda: number; temperature: number; candidates: { lambda: number; accuracy: number; nll: number }[] };
  /** extra: plain-language remarks (e.g. "no test split: metrics are cross-validated"). */
  notes: string[];
  /** extra: images whose embeddings came from the cache, and how many were computed in this run. */
  embeddings: { cached: number; computed: number };
  /** Seconds per stage. */
  timings: Record<string, number>;
}
