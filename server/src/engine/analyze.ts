import { UserError } from '../errors';
import type { Report } from './report';

/** What to analyse and how; plain data, shared by the CLI and the language server. */
export interface AnalysisRequest {
  /** A dataset folder, or its gla.yaml (file-system paths, not URIs). */
  dataset: string;
  /** Model id or folder; defaults to gla.yaml's `model:`, then clip-vit-base-patch32. */
  model?: string;
  /** Run folder; defaults to <workspaceRoot or dataset's parent>/.gla/runs/<id>/. */
  out?: string;
  workspaceRoot?: string;
  cacheDir: string;
  executionProvider?: string;
  batchSize?: number;
  /** Prompt templates overriding gla.yaml's. */
  templates?: string[];
  /** Paper protocol: K train images per class, min(K,4) for val. */
  shots?: number;
  seed?: number;
  labelFree?: boolean;
  /** PREFIX of precomputed embeddings (PREFIX.npy + PREFIX.json). */
  embeddings?: string;
  allowDownload?: boolean;
}

export type AnalysisStage = 'discover' | 'model' | 'embed' | 'zeroShot' | 'prior' | 'probe' | 'labelIssues' | 'report';

export interface AnalysisProgress {
  stage: AnalysisStage;
  message: string;
  done?: number;
  total?: number;
}

export interface AnalysisHooks {
  onProgress?(progress: AnalysisProgress): void;
  /** Execution-provider fallbacks and similar one-time notices. */
  onNotice?(message: string): void;
  signal?: AbortSignal;
}

export interface AnalysisResult {
  runDir: string;
  report: Report;
}

/** Runs the whole pipeline: dataset → embeddings → zero-shot → prior → probe → GLA → report (DESIGN steps 1–9). */
export async function analyzeDataset(request: AnalysisRequest, hooks: AnalysisHooks = {}): Promise<AnalysisResult> {
  void request;
  void hooks;
  throw new UserError('analysis engine not yet available in this build');
}
