// What the prompt lab is asked and what it answers: plain data, shared by the lab's thread and the language server.

/** One evaluation of gla.yaml's prompts as they stand in the editor, against the dataset's last run. */
export interface PromptLabRequest {
  /** The run to compare with: its image embeddings (through the cache), fit set and evaluation split are reused. */
  runDir: string;
  /** The dataset's gla.yaml on disk (its folder is the dataset). */
  manifestPath: string;
  cacheDir: string;
  /** The model gla.yaml (or the gla.model setting) names now: a folder, resolved, or a known id. */
  model: string;
  /** Every class in the run's order, with its prompt as typed. */
  classes: { name: string; prompt: string }[];
  /** The templates as a run would use them (set names expanded). */
  templates: string[];
  executionProvider?: string;
}

/** Zero-shot and debiased recall of one class: under the run, and under the edited prompts. */
export interface ClassRecall {
  name: string;
  /** The run's report; null where the class had no evaluated image. */
  before: { zeroShot: number | null; debiased: number | null };
  after: { zeroShot: number | null; debiased: number | null };
}

export type PromptLabResult =
  | {
      kind: 'recall';
      runId: string;
      /** The split the figures are on, as report.json's evaluatedOn says it. */
      evaluatedOn: string;
      classes: ClassRecall[];
      /** Mean recall over classes with evaluated images, before and after. */
      mean: ClassRecall;
      /** How many prompt × template texts went to the text tower (the rest came from the cache). */
      encodedPrompts: number;
      /** What the edit changed against the run: which classes' prompts, and whether the templates. */
      changed: { classes: string[]; templates: boolean };
      milliseconds: number;
    }
  /** The prompts and templates are the run's: nothing to show beside the run's own figures. */
  | { kind: 'unchanged' }
  /** Why there are no figures (another model, classes changed, a label-free run, …): one line for the user. */
  | { kind: 'notice'; message: string };
