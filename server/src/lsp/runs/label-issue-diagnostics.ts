// After a run: suspected label errors as Warnings on the image files, pointing at the suggested class's line.
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation } from 'vscode-languageserver';
import { join } from 'node:path';
import type { Report } from '../../engine/report';
import type { Manifest } from '../../dataset/manifest';
import { BIAS_SOURCE, manifestClassFor } from './bias-diagnostics';
import { fileUri } from '../uris';
import { failedFileDiagnostics } from './failed-file-diagnostics';
import { DEFAULT_LABEL_ISSUE_THRESHOLD, flaggedAt } from '../../gla/label-issue-threshold';

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

/**
 * Image URI → its diagnostics: the issues at `threshold` or above, less the `reviewed` paths (marked "not an error").
 * `manifest` (with its URI) adds related information on the suggested class's line.
 */
export function labelIssueDiagnostics(
  report: Report, datasetRoot: string, manifest?: { uri: string; manifest: Manifest }, threshold = DEFAULT_LABEL_ISSUE_THRESHOLD, reviewed: ReadonlySet<string> = new Set(),
): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const issue of flaggedAt(report.labelIssues, threshold)) {
    if (reviewed.has(issue.path)) continue;
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

/** What the publisher asks of reviewed.json: the shown issues' paths still marked "not an error", and a notice if any. */
export type ReviewedLookup = (datasetRoot: string, paths: string[]) => Promise<{ paths: Set<string>; notice?: string }>;

interface Shown {
  runDir: string;
  report: Report;
  manifest?: { uri: string; manifest: Manifest };
  diagnostics: Map<string, Diagnostic[]>;
  hidden: Set<string>;
  reviewed: Set<string>;
}

/**
 * Publishes each dataset's label issues; a newer run's replace the older ones, clearing images no longer suspected.
 * An image that moves away (the "Move there" fix) loses its warning, and gets it back when it returns (an undo).
 * One marked "not an error" loses it at once; a new gla.labelIssues.threshold re-filters without a re-run.
 */
export class LabelIssuePublisher {
  private readonly published = new Map<string, Shown>();
  private threshold = DEFAULT_LABEL_ISSUE_THRESHOLD;
  private readonly notices = new Map<string, string>();

  constructor(
    private readonly send: (uri: string, diagnostics: Diagnostic[]) => void,
    private readonly reviewedLookup?: ReviewedLookup,
    private readonly notice?: (message: string) => void,
  ) {}

  /** Whether this run's issues are the ones shown for the dataset. */
  isShown(datasetRoot: string, runDir: string): boolean {
    return this.published.get(datasetRoot)?.runDir === runDir;
  }

  /**
   * `noticed`: the run was made by this server, whose engine already told the user about a malformed or foreign
   * reviewed.json (gla/status), so the look-up here stays quiet rather than show the same warning twice.
   */
  show(datasetRoot: string, runDir: string, report: Report, manifest?: { uri: string; manifest: Manifest }, noticed = false): void {
    const before = this.published.get(datasetRoot)?.diagnostics ?? new Map<string, Diagnostic[]>();
    const shown: Shown = { runDir, report, manifest, diagnostics: new Map(), hidden: new Set(), reviewed: new Set() };
    this.published.set(datasetRoot, shown);
    this.publish(datasetRoot, shown, before);
    // A run written before an image was marked still lists it: reviewed.json (hash unchanged) hides it here too.
    const lookup = this.reviewedLookup;
    if (!lookup || !report.labelIssues.length) return;
    void lookup(datasetRoot, report.labelIssues.map((i) => i.path)).then(
      ({ paths, notice }) => {
        if (notice && !noticed && this.notices.get(datasetRoot) !== notice) this.notice?.(notice);
        if (notice) this.notices.set(datasetRoot, notice);
        else this.notices.delete(datasetRoot);
        if (this.published.get(datasetRoot) !== shown || paths.size === 0) return;
        for (const p of paths) shown.reviewed.add(p);
        this.publish(datasetRoot, shown, shown.diagnostics);
      },
      () => undefined,
    );
  }

  /** The issue the shown run lists for an image (dataset-relative path), whatever the threshold. */
  issue(datasetRoot: string, path: string): Report['labelIssues'][number] | undefined {
    return this.published.get(datasetRoot)?.report.labelIssues.find((i) => i.path === path);
  }

  /** Images just marked "not an error": their warnings go now. */
  markReviewed(datasetRoot: string, paths: string[]): void {
    const shown = this.published.get(datasetRoot);
    if (!shown) return;
    for (const p of paths) shown.reviewed.add(p);
    this.publish(datasetRoot, shown, shown.diagnostics);
  }

  /** gla.labelIssues.threshold changed: every dataset's warnings are re-filtered. */
  setThreshold(threshold: number): void {
    if (threshold === this.threshold) return;
    this.threshold = threshold;
    for (const [root, shown] of this.published) this.publish(root, shown, shown.diagnostics);
  }

  private publish(datasetRoot: string, shown: Shown, before: Map<string, Diagnostic[]>): void {
    // The files the run skipped are published the same way: on the file, cleared by the next run.
    const next = labelIssueDiagnostics(shown.report, datasetRoot, shown.manifest, this.threshold, shown.reviewed);
    for (const [uri, list] of failedFileDiagnostics(shown.report, datasetRoot)) next.set(uri, [...(next.get(uri) ?? []), ...list]);
    for (const uri of before.keys()) if (!next.has(uri)) this.send(uri, []);
    for (const [uri, diagnostics] of next) if (!shown.hidden.has(uri)) this.send(uri, diagnostics);
    shown.diagnostics = next;
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
