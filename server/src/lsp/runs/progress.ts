// Cancellable work-done progress for a command: the client's token if it sent one, else one the server creates.
import { WorkDoneProgressReporter, type CancellationToken, type Connection } from 'vscode-languageserver';
import type { AnalysisProgress, AnalysisStage } from '../../engine/analyze';

/** Where each stage sits on the 0–100 bar; embedding dominates a run's time. */
const STAGE_SPAN: Record<AnalysisStage, [number, number]> = {
  discover: [0, 2],
  model: [2, 5],
  embed: [5, 85],
  zeroShot: [85, 88],
  prior: [88, 90],
  probe: [90, 95],
  labelIssues: [95, 99],
  report: [99, 100],
};

// At most this many reports a second reach the client; a stage change always goes through.
const REPORT_INTERVAL_MS = 100;

export interface CommandProgress {
  /** Trips when the user cancels the progress or the client cancels the request. */
  signal: AbortSignal;
  report(p: AnalysisProgress): void;
  done(message?: string): void;
}

export async function startProgress(
  connection: Connection,
  title: string,
  request: CancellationToken,
  /** The reporter for the request's workDoneToken; a null reporter when the client sent none. */
  clientProgress: WorkDoneProgressReporter,
): Promise<CommandProgress> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  request.onCancellationRequested(abort);
  let reporter: WorkDoneProgressReporter;
  if (!WorkDoneProgressReporter.isNullInstance(clientProgress)) {
    reporter = clientProgress;
  } else {
    // Sends window/workDoneProgress/create when the client supports it; a no-op reporter otherwise.
    const created = await connection.window.createWorkDoneProgress().catch(() => undefined);
    created?.token.onCancellationRequested(abort);
    reporter = created ?? clientProgress;
  }
  reporter.begin(title, 0, 'starting', true);
  let percentage = 0;
  let lastStage: AnalysisStage | undefined;
  let lastSent = 0;
  let ended = false;
  return {
    signal: controller.signal,
    report(p) {
      if (ended) return;
      const [from, to] = STAGE_SPAN[p.stage] ?? [percentage, percentage];
      const fraction = p.total ? Math.min(1, (p.done ?? 0) / p.total) : 0;
      // The bar never moves backwards, even when a stage reports out of order.
      percentage = Math.max(percentage, from + (to - from) * fraction);
      const now = Date.now();
      if (p.stage === lastStage && now - lastSent < REPORT_INTERVAL_MS) return;
      lastStage = p.stage;
      lastSent = now;
      const counts = p.total ? ` (${p.done ?? 0}/${p.total})` : '';
      reporter.report(percentage, `${p.message}${counts}`);
    },
    done(message) {
      if (ended) return;
      ended = true;
      if (message) reporter.report(100, message);
      reporter.done();
    },
  };
}
