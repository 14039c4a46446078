// Diagnostics on gla.yaml as the user types, plus the latest run's per-class findings on the class lines.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DiagnosticSeverity, type Connection, type Diagnostic, type TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { parseManifest, type ManifestProblem, type ProblemSeverity } from '../../dataset/manifest';
import { describeError } from '../../errors';
import { BIAS_SOURCE, biasDiagnostics } from '../runs/bias-diagnostics';
import type { LabelIssuePublisher } from '../runs/label-issue-diagnostics';
import type { ManifestContexts } from './manifest-context';
import type { RunResult } from '../runs/run-results';
import { fileUri, uriKey } from '../uris';

const SEVERITY: Record<ProblemSeverity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

const TYPING_PAUSE_MS = 100;

export function problemDiagnostic(p: ManifestProblem): Diagnostic {
  return { range: p.range, severity: SEVERITY[p.severity], message: p.message, code: p.code, source: BIAS_SOURCE, ...(p.suggestion ? { data: { suggestion: p.suggestion } } : {}) };
}

export class ManifestDiagnostics {
  // Each validation takes a stamp; only the newest one for a file may publish, so a slow check never overwrites a
  // newer edit's result.
  private readonly latest = new Map<string, number>();
  private nextStamp = 1;
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    private readonly contexts: ManifestContexts,
    private readonly labelIssues: LabelIssuePublisher,
  ) {}

  /** Validates once typing pauses: a burst of keystrokes costs one check, not one each. */
  validateSoon(uri: string): void {
    const key = uriKey(uri);
    clearTimeout(this.pending.get(key));
    this.pending.set(key, setTimeout(() => {
      this.pending.delete(key);
      void this.validate(uri);
    }, TYPING_PAUSE_MS));
  }

  /**
   * Checks the manifest (the open buffer, else the file on disk) and publishes its diagnostics. A closed manifest
   * keeps only its run findings, and a manifest that is neither open nor run gets its diagnostics cleared.
   */
  async validate(uri: string): Promise<void> {
    const key = uriKey(uri);
    clearTimeout(this.pending.get(key));
    this.pending.delete(key);
    const stamp = this.nextStamp++;
    this.latest.set(key, stamp);
    const doc = this.documents.get(uri);
    let diagnostics: Diagnostic[] = [];
    try {
      const context = await this.contexts.load(uri);
      if (this.latest.get(key) !== stamp) return;
      if (!context) {
        // Not a file on disk (an untitled buffer), or over the size limit: its text is all there is to check, and
        // parseManifest answers an oversized one with its size alone.
        if (doc) diagnostics = parseManifest(doc.getText()).problems.map(problemDiagnostic);
      } else {
        if (doc) diagnostics = context.file.problems.map(problemDiagnostic);
        const run = context.run;
        if (run) {
          diagnostics.push(...biasDiagnostics(run.report, context.file, run.runDir));
          if (!this.labelIssues.isShown(context.file.root, run.runDir)) {
            this.labelIssues.show(context.file.root, run.runDir, run.report, { uri, manifest: context.file }, run.stamp > 0);
          }
        }
      }
    } catch (err) {
      // Validation must never take the server down; say why in the log and show nothing stale.
      this.connection.console.error(`gla: checking ${uri} failed: ${describeError(err)}`);
      if (this.latest.get(key) !== stamp) return;
    }
    void this.connection.sendDiagnostics({ uri, version: doc?.version, diagnostics });
  }

  /** A run was kept: its findings go on the dataset's gla.yaml (open or not) and its label errors on the images. */
  async showRun(run: RunResult): Promise<void> {
    const manifestPath = join(run.datasetRoot, 'gla.yaml');
    // The client's spelling of the URI when the manifest is open, so the findings land on that document.
    const open = this.documents.all().find((d) => uriKey(d.uri) === manifestPath);
    if (open || existsSync(manifestPath)) await this.validate(open?.uri ?? fileUri(manifestPath));
    else this.labelIssues.show(run.datasetRoot, run.runDir, run.report, undefined, run.stamp > 0);
  }
}
