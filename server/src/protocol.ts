/**
 * Every custom message between the extension (client/) and the worker (server/). Plain data only: both sides
 * import this file, and nothing here may import vscode or vscode-languageserver.
 */
import type { PerModel, Report } from './engine/report';

/** workspace/executeCommand ids the server registers. */
export const ServerCommands = {
  /** Arguments: [AnalyzeArgs]. Reports cancellable work-done progress; returns AnalyzeResult. */
  analyze: 'gla.analyze',
  /** Arguments: [ClassifyArgs]. Returns ClassifyResult. */
  classify: 'gla.classify',
} as const;

export interface AnalyzeArgs {
  /** URI of a dataset folder or of its gla.yaml. */
  dataset: string;
  /** Model id or folder; defaults to gla.yaml's `model:`, then the gla.model setting. */
  model?: string;
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
  top1: PerModel<number | null>;
  /** Class names with the largest and smallest q. */
  mostFavoured: string[];
  leastFavoured: string[];
  reportPath: string;
}

export interface AnalyzeResult {
  runDir: string;
  summary: RunSummary;
}

export interface ClassifyArgs {
  /** URI of a folder of images to classify. */
  folder: string;
  /** URI of a finished run folder. */
  run: string;
  /** URI of the predictions.csv to write; defaults to <run>/classify-<time>.csv. */
  out?: string;
}

export interface ClassifyResult {
  predictionsPath: string;
  images: number;
  failed: number;
}

/** Sent from the server to the client when a run finishes: the status bar and the bias panel refresh from it. */
export const RunFinishedNotification = 'gla/runFinished' as const;
export interface RunFinishedParams {
  runDir: string;
  reportPath: string;
  summary: RunSummary;
}

/** Sent from the server to the client when the model or execution provider in use changes, or a provider fell back. */
export const StatusNotification = 'gla/status' as const;
export interface StatusParams {
  model?: string;
  executionProvider?: string;
  /** One-time notice, e.g. "CUDA unavailable (…); using CPU". */
  notice?: string;
}

/** Passed by the client in initializationOptions. */
export interface InitializationOptions {
  /** Where caches and downloaded models live: the extension's globalStorage. */
  cacheDir?: string;
  /** false in a restricted (untrusted) workspace: only manifest diagnostics, no model runs or downloads. */
  trusted?: boolean;
}

/** Workspace settings the server reads via workspace/configuration (section "gla"). */
export interface GlaSettings {
  model: string;
  executionProvider: 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
  batchSize: number;
  cacheDir: string;
  templates: string[];
}

export type { Report };
