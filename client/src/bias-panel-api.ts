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
  };
  /** Files the run could not read (report.json's `failed`), with the reason each gave. */
  failed: PanelFailedFile[];
  /** Clicking a class can reveal its gla.yaml line (the run's dataset has a gla.yaml). */
  canRevealClasses: boolean;
  /** What the source lacked or got wrong, in plain words; the panel shows what it can and lists these. */
  missing: string[];
  /** Set by the extension when it answers load(): what the page saves so the panel can come back after a reload. */
  restore?: PanelRestore;
}

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
  /** Moves a suspected mislabelled image into its suggested class folder, after the user confirms (a WorkspaceEdit). */
  moveToSuggestedClass(path: string): Promise<{ moved: boolean; message: string }>;
  /** Opens a file the run could not read, or reveals it in the Explorer when VS Code cannot open it. */
  openFailedFile(path: string): Promise<void>;
}

export const PANEL_HOST_METHODS: readonly (keyof PanelHost)[] = ['load', 'revealClass', 'openImage', 'exportCsv', 'exportClassifier', 'firstPaint', 'moveToSuggestedClass', 'openFailedFile'];

/** The page's side, called by the extension (gla.showClassInBiasPanel, the dataset's file watcher). */
export interface PanelPage {
  /** Selects a class's row, scrolls to it and focuses it; false when the panel has no such class. */
  selectClass(name: string): Promise<boolean>;
  /** Which suspected label errors now sit in their suggested folder, after a move, an undo or any other change on disk. */
  setMoved(paths: string[]): Promise<void>;
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
