// What the bias panel's webview and the extension say to each other (through comlink over postMessage), and the
// plain data the panel draws. Types only: the webview bundle (media/src/) and the extension host both import it.
import type { ClassFinding } from '../../server/src/engine/class-findings';
import type { ModelKind, PerModel, SplitName } from '../../server/src/engine/report';

export type { ClassFinding, ModelKind, PerModel, SplitName };
export type ClassGroup = 'head' | 'medium' | 'tail';

/** One row of the panel's class table. Numbers are null where the source had no usable value. */
export interface PanelClass {
  name: string;
  /** The name CLIP read in its prompts, when it differs from the folder name. */
  prompt?: string;
  /** q_c, CLIP's pre-training prior of the class. */
  prior: number | null;
  /** log(C·q_c): nats above (+) or below (−) the uniform prior 1/C. */
  bias: number | null;
  group: ClassGroup | null;
  /** Labelled images per split; null in a bias profile. */
  support: Record<SplitName, number> | null;
  /** Recall per model on the evaluation split; null in a bias profile or where the report lacks it. */
  recall: PerModel<number | null> | null;
  precision: PerModel<number | null> | null;
  /** Suspected mislabelled images whose given label is this class. */
  labelIssues: number;
  /** Evaluated images of this class that GLA gets wrong. */
  misclassified: number;
  /**
   * What the numbers say (engine/class-findings.ts): 'biased-against' (log(C·q) ≤ −1 nat, so q is below uniform) or
   * 'prompt-miss' (zero-shot recall ≥ 0.2 below GLA's); null for neither.
   */
  finding: ClassFinding | null;
}

/** An image the user may want to re-check, with the URI the webview may load it from. */
export interface PanelImage {
  /** Relative to the dataset root, with / separators (as report.json and predictions.csv write it). */
  path: string;
  /** webview.asWebviewUri of the file; absent when the file lies outside the dataset folder. */
  src?: string;
  given: string;
  /** The suggested class (label issues) or GLA's prediction (misclassified). */
  other: string;
  /** Out-of-sample GLA probability of the suggested class (label issues), or GLA's probability (misclassified). */
  confidence: number | null;
}

export interface GroupSummary {
  classes: number;
  /** Share of the prior mass the group holds. */
  priorMass: number | null;
  /** Mean recall over the group's classes per model (report.json metrics[model][group]); null in a profile. */
  recall: PerModel<number | null> | null;
}

export interface PanelData {
  kind: 'run' | 'profile';
  /** Heading, e.g. "Bias per class". */
  title: string;
  /** One line saying where the numbers come from. */
  source: string;
  classes: PanelClass[];
  /**
   * The models the panel shows, in order (zero-shot, debiased, fine-tuned, naive ensemble, GLA). Reports written
   * before the naive ensemble existed lack it, and so does this list.
   */
  models: ModelKind[];
  /** What each model is called: the fine-tuned one by its source ("fine-tuned (probe)"), the ensemble "naive ensemble". */
  modelLabels: Record<ModelKind, string>;
  /** Overall top-1 per model; null in a profile or a label-free run. A seeds run's is the mean over its seeds. */
  top1: PerModel<number | null> | null;
  /** The sample standard deviation of top-1 over a seeds run's seeds; null when the run had one seed (or none). */
  top1Sd: PerModel<number | null> | null;
  groups: Record<ClassGroup, GroupSummary>;
  confusions: { actual: string; predicted: string; count: number }[];
  images: {
    labelIssues: PanelImage[];
    misclassified: PanelImage[];
    /** Which split the misclassified images come from, e.g. "test". */
    evaluatedOn: string;
    /** The run has a readable predictions.csv (misclassified images need it). */
    predictionsAvailable: boolean;
    /** How many there were before the panel capped the lists. */
    totalLabelIssues: number;
    totalMisclassified: number;
    /** Suspected label errors whose image now sits in the suggested class folder (read from disk, not the report). */
    moved: string[];
    /** gla.labelIssues.threshold the list was flagged at. */
    labelIssueThreshold: number;
    /** How many candidates each threshold would flag (the current one marked), reviewed images left out. */
    thresholdCounts: { threshold: number; count: number; current: boolean }[];
    /** Candidates left out because they were marked "not an error" (in the run, and since). */
    reviewed: number;
  };
  /** Files the run could not read (report.json's `failed`), with the reason each gave. */
  failed: PanelFailedFile[];
  /** Clicking a class can reveal its gla.yaml line (the run's dataset has a gla.yaml). */
  canRevealClasses: boolean;
  /** What the source lacked or got wrong, in plain words; the panel shows what it can and lists these. */
  missing: string[];
  /** Set by the extension when it answers load(): what the page saves so the panel can come back after a reload. */
  restore?: PanelRestore;
  /** Set by the extension when it answers load(): this run came from the panel's Re-run, and this is the run before it. */
  previousRun?: { runDir: string; label: string };
  /** Set by the extension when it answers load(): the comparison the panel was showing before its page reloaded. */
  comparison?: RunComparison;
}

/**
 * Every image of a run as predictions.csv lists it, for the confusion matrix and the per-class image grid. Parallel
 * arrays, one entry per image; classes are indices into PanelData.classes (−1: none, or a name not among them).
 * Plain JSON (no typed arrays), as the webview channel carries it. Sent after the first paint: it can be large.
 */
export interface EvaluationData {
  /** The split the report's metrics count ("test", or e.g. "cross-validated (no test split)": every labelled image). */
  evaluatedOn: string;
  /** Models with predictions in the file, in MODEL_KINDS order. */
  models: ModelKind[];
  /** How many images (rows); their paths stay in the extension and come with imageSources. */
  images: number;
  // Typed arrays: the webview's postMessage carries them as binary, not JSON (50 000 images × 5 models in a blink).
  /** Index into ['train', 'val', 'test', 'none']. */
  split: Uint8Array;
  /** Class index; −1: no class of the report. */
  given: Int32Array;
  /** 1: counted in the report's metrics (on the evaluated split, with a known given class). */
  evaluated: Uint8Array;
  predicted: Partial<Record<ModelKind, Int32Array>>;
  /**
   * The model's probability of its own prediction; NaN where the file has none (runs before this column). Empty in
   * what evaluation() sends: the matrix does not need them, and evaluationConfidence() brings them after its paint.
   */
  confidence: Partial<Record<ModelKind, Float32Array>>;
  /** Class names in the file that the report does not list (counted, then treated as no class). */
  unknownNames: number;
}

/** One image of the evaluation data, as the grid shows it once in view. */
export interface ImageSource {
  /** Relative to the dataset root, with / separators. */
  path: string;
  src: string | null;
}

/** When the panel's pieces were painted, measured in the page (ms). */
export interface EvaluationPaint {
  classes: number;
  images: number;
  /** From asking for the evaluation data to the first frame with the confusion matrix drawn. */
  matrix: number;
  /** Of which: the comlink round trip that brought the data. */
  load: number;
  /** Cells of the matrix drawn in that frame (all of them up to 100 classes; the visible window beyond). */
  cellsDrawn: number;
}

/** One run of a comparison, as its report.json describes it. */
export interface ComparedRun {
  runDir: string;
  runId: string;
  /** When the run finished (report.json's createdAt), ISO 8601; absent when the report does not say. */
  createdAt?: string;
  /** The quick pick's and the header's words for it: "Dec 2, 2026, 10:31 AM · tiny-clip". */
  label: string;
  model?: string;
  /** The prompt templates its zero-shot head used; absent when neither report.json nor run.json records them. */
  templates?: string[];
  evaluatedOn: string;
  labelFree: boolean;
  classes: number;
}

/** A number in both runs and its change, after − before; null where either run lacks it. */
export interface Change {
  before: number | null;
  after: number | null;
  delta: number | null;
}

/** One class both runs have. */
export interface ComparedClass {
  name: string;
  /** q_c, a probability. */
  q: Change;
  /** log(C·q_c) in nats, each run with its own C. */
  bias: Change;
  /** Recall per model on each run's evaluation split (0–1). */
  recall: PerModel<Change>;
  /** Both prompts, when the class's prompt changed. */
  prompt?: { before?: string; after?: string };
}

/** A suspected label error flagged in only one of the two runs (matched by path). */
export interface LabelIssueChange {
  path: string;
  given: string;
  suggested: string;
  confidence: number | null;
}

/** Two runs of one dataset side by side: what changed in their settings and what it did to each class. */
export interface RunComparison {
  /** The earlier run. */
  before: ComparedRun;
  /** The later run. */
  after: ComparedRun;
  /** What differs in how the runs were made, in words ("templates: 3 → 1", "model: a → b"); empty when nothing recorded does. */
  changes: string[];
  models: ModelKind[];
  modelLabels: Record<ModelKind, string>;
  /** Overall top-1 per model. */
  top1: PerModel<Change>;
  /** The classes both runs have, in the later run's order. */
  classes: ComparedClass[];
  onlyBefore: string[];
  onlyAfter: string[];
  labelIssues: { appeared: LabelIssueChange[]; disappeared: LabelIssueChange[] };
  /** What limits the comparison, in plain words (a report without templates, different evaluation splits). */
  notes: string[];
}

/** What Compare and Re-run answer the page: the comparison to show, or why there is none. */
export type CompareResult = { comparison: RunComparison } | { comparison?: undefined; message: string };

/** A file the run could not read. */
export interface PanelFailedFile {
  /** As report.json names it: relative to the dataset root. */
  path: string;
  error: string;
  /** The file lies inside the dataset folder, so the panel may open or reveal it. */
  openable: boolean;
}

/**
 * What a panel shows, as the page keeps it in its webview state (acquireVsCodeApi().setState), so that the
 * extension's WebviewPanelSerializer can show it again after a window reload. Checked before use: it comes from the page.
 */
export type PanelRestore =
  | { kind: 'last-run'; runDir: string; reportPath: string }
  | { kind: 'file'; path: string };

/** The page's saved webview state: what it shows, and how (filters, sort, scroll). */
export interface PanelSavedState {
  restore?: PanelRestore;
  source: string;
  view: unknown;
  scrollY: number;
  /** The run folders of the comparison shown (before, after), so a window reload brings it back. */
  comparedWith?: string[];
}

export interface RevealResult {
  revealed: boolean;
  /** What happened, for the panel's status line ("gla.yaml line 7" or why nothing was opened). */
  message: string;
}

/** Timings the webview measures with performance.now() (ms since the page's time origin). */
export interface FirstPaint {
  classes: number;
  /** From the first line of the panel script to the first frame after the initial render. */
  sinceScriptStart: number;
  /** Of which: asking the extension for the data (a comlink round trip). */
  load: number;
  /** Of which: building the DOM for the first render. */
  render: number;
  /** Rows the virtualised table put in the DOM. */
  rowsInDom: number;
  /** From the page's time origin (navigation start) to that frame. */
  sinceNavigation: number;
}

/** The extension's side, called by the webview. The host accepts these calls and nothing else. */
export interface PanelHost {
  load(): Promise<PanelData>;
  revealClass(name: string): Promise<RevealResult>;
  openImage(path: string): Promise<void>;
  /** Writes the given classes (indices into PanelData.classes, in table order) to a CSV the user picks. */
  exportCsv(rows: number[], description: string): Promise<{ path: string } | undefined>;
  firstPaint(timing: FirstPaint): Promise<void>;
  /** Runs GLA: Export Classifier… for the panel's run (save dialog, summary); the exported folder, or undefined. */
  exportClassifier(): Promise<{ path: string } | undefined>;
  /**
   * Moves suspected mislabelled images into their suggested class folders, after the user confirms: one WorkspaceEdit
   * (one Undo) for the batch. A target that exists is not overwritten unless the user says so; "Keep Both" renames.
   */
  moveToSuggestedClass(paths: string[]): Promise<{ moved: string[]; message: string }>;
  /** Records suspected label errors as "not an error" (.gla/reviewed.json, through the worker); the paths recorded. */
  markNotLabelError(paths: string[]): Promise<{ marked: string[]; message: string }>;
  /** Opens the Settings editor at gla.labelIssues.threshold. */
  openThresholdSetting(): Promise<void>;
  /** Opens a file the run could not read, or reveals it in the Explorer when VS Code cannot open it. */
  openFailedFile(path: string): Promise<void>;
  /** Every image's predictions (predictions.csv); null when the run has none or it cannot be read. */
  evaluation(): Promise<EvaluationData | null>;
  /** Every model's confidence per image (EvaluationData.confidence), asked for once the matrix has painted. */
  evaluationConfidence(): Promise<Partial<Record<ModelKind, Float32Array>>>;
  /** The paths and webview URIs of images (by row of EvaluationData); src null for one outside the dataset folder. */
  imageSources(rows: number[]): Promise<ImageSource[]>;
  evaluationPainted(timing: EvaluationPaint): Promise<void>;
  /**
   * Compares this run with another run of its dataset: `runDir` (one the extension lists for this dataset), or the
   * one the user picks from the dataset's other runs when absent.
   */
  compareWith(runDir?: string): Promise<CompareResult>;
  /** The page closed its comparison: do not bring it back when the page reloads. */
  closeComparison(): Promise<void>;
  /** Analyzes this run's dataset again (gla.analyzeDataset, with its progress and Cancel); the panel then shows the new run. */
  rerun(): Promise<{ ran: boolean; message: string }>;
}

export const PANEL_HOST_METHODS: readonly (keyof PanelHost)[] = ['load', 'revealClass', 'openImage', 'exportCsv', 'exportClassifier', 'firstPaint', 'moveToSuggestedClass', 'markNotLabelError', 'openThresholdSetting', 'openFailedFile', 'evaluation', 'evaluationConfidence', 'imageSources', 'evaluationPainted', 'compareWith', 'closeComparison', 'rerun'];

/** The page's side, called by the extension (gla.showClassInBiasPanel, the dataset's file watcher). */
export interface PanelPage {
  /** Selects a class's row, scrolls to it and focuses it; false when the panel has no such class. */
  selectClass(name: string): Promise<boolean>;
  /** Which suspected label errors now sit in their suggested folder, after a move, an undo or any other change on disk. */
  setMoved(paths: string[]): Promise<void>;
  /** Shows a comparison of this run with another (GLA: Compare Runs…). */
  showComparison(comparison: RunComparison): Promise<void>;
}

/**
 * The two comlink conversations share one postMessage channel: each message is wrapped as {channel, message}.
 * 'host': the page calls the extension (PanelHost); 'page': the extension calls the page (PanelPage).
 */
export type PanelChannel = 'host' | 'page';
export interface ChannelMessage {
  channel: PanelChannel;
  message: unknown;
}
