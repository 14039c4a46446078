// After a run: suspected label errors as Warnings on the image files, pointing at the suggested class's line.
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver';
import { join } from 'node:path';
import type { Report } from '../../engine/report';
import type { Manifest } from '../../dataset/manifest';
import { BIAS_SOURCE, manifestClassFor } from './bias-diagnostics';
import { fileUri } from '../uris';
import { failedFileDiagnostics } from './failed-file-diagnostics';

export const LABEL_ISSUE_CODE = 'label-issue';

/** What a label-issue diagnostic carries for its "move the image" code action. */
export interface LabelIssueData {
  datasetRoot: string;
  /** Image path relative to the dataset root, with / separators. */
  path: string;
  given: string;
  suggested: string;
}

const FILE_START = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Image URI → its diagnostics. `manifest` (with its URI) adds related information on the suggested class's line. */
export function labelIssueDiagnostics(report: Report, datasetRoot: string, manifest?: { uri: string; manifest: Manifest }): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const issue of report.labelIssues) {
    const uri = fileUri(join(datasetRoot, ...issue.path.split('/')));
    const related: DiagnosticRelatedInformation[] = [];
    const line = manifest && manifestClassFor(manifest.manifest, issue.suggested);
    if (manifest && line) related.push({ location: { uri: manifest.uri, range: line.folderRange }, message: `class '${issue.suggested}'` });
    const data: LabelIssueData = { datasetRoot, path: issue.path, given: issue.given, suggested: issue.suggested };
    const diagnostic: Diagnostic = {
      range: FILE_START,
      severity: DiagnosticSeverity.Warning,
      source: BIAS_SOURCE,
      code: LABEL_ISSUE_CODE,
      message: `Suspected label error: labelled '${issue.given}', looks like '${issue.suggested}' (GLA confidence ${issue.confidence.toFixed(2)})`,
      relatedInformation: related.length ? related : undefined,
      data,
    };
    const list = out.get(uri);
    if (list) list.push(diagnostic);
    else out.set(uri, [diagnostic]);
  }
  return out;
}

/**
 * Publishes each dataset's label issues; a newer run's replace the older ones, clearing images no longer suspected.
 * An image that moves away (the "Move there" fix) loses its warning, and gets it back when it returns (an undo).
 */
export class LabelIssuePublisher {
  private readonly published = new Map<string, { runDir: string; diagnostics: Map<string, Diagnostic[]>; hidden: Set<string> }>();

  constructor(private readonly send: (uri: string, diagnostics: Diagnostic[]) => void) {}

  /** Whether this run's issues are the ones shown for the dataset. */
  isShown(datasetRoot: string, runDir: string): boolean {
    return this.published.get(datasetRoot)?.runDir === runDir;
  }

  show(datasetRoot: string, runDir: string, report: Report, manifest?: { uri: string; manifest: Manifest }): void {
    // The files the run skipped are published the same way: on the file, cleared by the next run.
    const next = labelIssueDiagnostics(report, datasetRoot, manifest);
    for (const [uri, list] of failedFileDiagnostics(report, datasetRoot)) next.set(uri, [...(next.get(uri) ?? []), ...list]);
    const before = this.published.get(datasetRoot)?.diagnostics ?? new Map<string, Diagnostic[]>();
    for (const uri of before.keys()) if (!next.has(uri)) this.send(uri, []);
    for (const [uri, diagnostics] of next) this.send(uri, diagnostics);
    this.published.set(datasetRoot, { runDir, diagnostics: next, hidden: new Set() });
  }

  /** An image was moved, renamed or deleted: its warning goes while it is away. */
  forget(uri: string): void {
    for (const { diagnostics, hidden } of this.published.values()) {
      if (diagnostics.has(uri) && !hidden.has(uri)) {
        hidden.add(uri);
        this.send(uri, []);
      }
    }
  }

  /** A file appeared where a suspected image was (a move undone): its warning comes back. */
  restore(uri: string): void {
    for (const { diagnostics, hidden } of this.published.values()) {
      if (hidden.delete(uri)) this.send(uri, diagnostics.get(uri) ?? []);
    }
  }
}
