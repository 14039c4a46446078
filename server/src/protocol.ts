/**
 * Every custom message between the extension (client/) and the worker (server/). Plain data only: both sides
 * import this file, and nothing here may import vscode or vscode-languageserver. Each message is one descriptor
 * (method, direction, params or args and result); client/src/custom-messages.ts and server/src/lsp/custom-messages.ts
 * send and handle them by descriptor, so a send site cannot pass the wrong params.
 */
import type { ClassifyResult } from './engine/classify';
import type { ExportResult } from './engine/export/export-classifier';
import type { PerModel, Report } from './engine/report';

/** Which side sends a message. */
export type Direction = 'server→client' | 'client→server';

/** A custom notification and the params it carries. */
export interface NotificationType<P, D extends Direction = Direction> {
  readonly kind: 'notification';
  readonly method: string;
  readonly direction: D;
  /** Type only, never set: ties the params type to the method. */
  readonly _params?: P;
}

/** A workspace/executeCommand command the server registers: called with [args], it answers result. */
export interface CommandType<A, R> {
  readonly kind: 'command';
  readonly command: string;
  readonly direction: 'client→server';
  /** Type only, never set. */
  readonly _args?: A;
  /** Type only, never set. */
  readonly _result?: R;
}

// Overloads, so that `notification<P>(method, direction)` keeps the direction as a literal type.
function notification<P>(method: string, direction: 'server→client'): NotificationType<P, 'server→client'>;
function notification<P>(method: string, direction: 'client→server'): NotificationType<P, 'client→server'>;
function notification<P>(method: string, direction: Direction): NotificationType<P> {
  return { kind: 'notification', method, direction };
}

function command<A, R>(id: string): CommandType<A, R> {
  return { kind: 'command', command: id, direction: 'client→server' };
}

export interface AnalyzeArgs {
  /** URI of a dataset folder or of its gla.yaml. */
  dataset: string;
  /** Model id or folder; defaults to gla.yaml's `model:`, then the gla.model setting. */
  model?: string;
  /**
   * The user's fine-tuned classifier (an HF image-classification ONNX folder) or a logits PREFIX, as a path or a
   * file: URI; defaults to gla.yaml's `finetuned:`, then the gla.finetuned setting, then the run's linear probe.
   */
  finetuned?: string;
  /** Run folder URI; defaults to <workspace>/.gla/runs/<id>/. */
  out?: string;
  /** Classify unlabelled images into gla.yaml's classes (DESIGN step 7): missing class folders are then expected. */
  labelFree?: boolean;
}

export interface RunSummary {
  runId: string;
  classes: number;
  images: number;
  failed: number;
  labelIssues: number;
  labelFree: boolean;
  /** Overall top-1 per model; null where the run has none (label-free, or an older report without the ensemble). */
  top1: PerModel<number | null>;
  /** What the fine-tuned model is called: "fine-tuned (probe)", or "fine-tuned (<name>)" for the user's own (absent in summaries kept from older versions). */
  finetuned?: string;
  /** Class names with the largest and smallest q. */
  mostFavoured: string[];
  leastFavoured: string[];
  reportPath: string;
}

export interface AnalyzeResult {
  runDir: string;
  summary: RunSummary;
}

/** Sent from the client to the server: analyze a dataset. Reports cancellable work-done progress. */
export const AnalyzeCommand = command<AnalyzeArgs, AnalyzeResult>('gla.analyze');

export interface ClassifyArgs {
  /** URI of a folder of images to classify. */
  folder: string;
  /** URI of a finished run folder. */
  run: string;
  /** URI of the predictions.csv to write; defaults to <run>/classify-<time>.csv. */
  out?: string;
}

/** Sent from the client to the server: classify a folder of new images with a finished run's models. */
export const ClassifyCommand = command<ClassifyArgs, ClassifyResult>('gla.classify');

export interface ExportArgs {
  /** URI of a finished run folder. */
  run: string;
  /** URI of the new folder to write. */
  out: string;
  /** gla (default; debiased for a label-free run), debiased, zero-shot or finetuned. */
  model?: string;
  /** fp32, fp16 or quantized (int8); default: the run's own. */
  variant?: string;
}

/** Sent from the client to the server: export a run's classifier as an ONNX image-classification folder (gla export). */
export const ExportCommand = command<ExportArgs, ExportResult>('gla.export');

export interface EditPromptArgs {
  /** URI of the gla.yaml. */
  uri: string;
  /** The prompt value's range, as the code action gave it. */
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

/**
 * Sent from the client to the server by the "Edit the prompt of …" code action on a bias finding: the server asks
 * the client (window/showDocument) to select the prompt's text, so the user can type a better one. Answers whether
 * the client showed it.
 */
export const EditPromptCommand = command<EditPromptArgs, { shown: boolean }>('gla.editPrompt');

export interface MarkNotLabelErrorArgs {
  /** URI (or path) of the dataset folder. */
  dataset: string;
  /** The images, relative to the dataset root with / separators, as report.json's labelIssues name them. */
  paths: string[];
}

/**
 * Records suspected label errors as "not an error" in <workspace>/.gla/reviewed.json (with each image's content
 * hash) and drops their warnings at once; later runs leave them out while the image is unchanged.
 */
export const MarkNotLabelErrorCommand = command<MarkNotLabelErrorArgs, { marked: number; file: string }>('gla.markNotLabelError');

export interface RunFinishedParams {
  runDir: string;
  reportPath: string;
  summary: RunSummary;
}

/** Sent from the server to the client when a run finishes: the status bar and the bias panel refresh from it. */
export const RunFinishedNotification = notification<RunFinishedParams>('gla/runFinished', 'server→client');

export interface StatusParams {
  model?: string;
  executionProvider?: string;
  /** One-time notice, e.g. "CUDA unavailable (…); using CPU". */
  notice?: string;
}

/** Sent from the server to the client when the model or execution provider in use changes, or a provider fell back. */
export const StatusNotification = notification<StatusParams>('gla/status', 'server→client');

/** initializationOptions.client of our own VS Code extension. */
export const VSCODE_CLIENT = 'gla-studio-vscode';

/** Passed by the client in initializationOptions. */
export interface InitializationOptions {
  /** Where caches and downloaded models live: the extension's globalStorage. */
  cacheDir?: string;
  /** false in a restricted (untrusted) workspace: only manifest diagnostics, no model runs or downloads. */
  trusted?: boolean;
  /**
   * Who the client is. Our VS Code extension sends VSCODE_CLIENT, and hovers and messages then name its command
   * titles (**GLA: Analyze Dataset**); any other value, or none, gets the LSP command names (`gla.analyze`).
   */
  client?: string;
}

/** Workspace settings the server reads via workspace/configuration (section "gla"). */
export interface GlaSettings {
  model: string;
  /** A fine-tuned model folder or logits PREFIX to calibrate with GLA; '' for the run's linear probe. */
  finetuned: string;
  executionProvider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
  batchSize: number;
  /** Decode every pixel of JPEG and WebP (PIL's way) instead of shrink-on-load. */
  exactDecode: boolean;
  cacheDir: string;
  templates: string[];
  /** gla.labelIssues.threshold: the least out-of-sample GLA probability of the suggested class for a flag (0–1). */
  labelIssueThreshold: number;
}

export type { ClassifyResult, ExportResult, Report };
