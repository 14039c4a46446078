// What every stage of an analysis shares: the request, the hooks, the dataset, and the stage clock.
import type { Dataset } from '../dataset/discover';
import type { AnalysisHooks, AnalysisRequest, AnalysisStage } from './analyze';

/** Stage timer: seconds per stage for report.json's timings. */
export class Timings {
  readonly seconds: Record<string, number> = {};
  private readonly started = performance.now();
  private mark = this.started;
  lap(stage: string): void {
    const now = performance.now();
    this.seconds[stage] = (this.seconds[stage] ?? 0) + (now - this.mark) / 1000;
    this.mark = now;
  }
  total(): void {
    this.seconds.total = (performance.now() - this.started) / 1000;
  }
}

export interface AnalysisContext {
  request: AnalysisRequest;
  hooks: AnalysisHooks;
  dataset: Dataset;
  templates: string[];
  timings: Timings;
  progress(stage: AnalysisStage, message: string, done?: number, total?: number): void;
}
