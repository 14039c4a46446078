// After a run: each file it could not read gets a Warning of its own, where an editor can show it, instead of only
// a line in report.json.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { isAbsolute, join } from 'node:path';
import type { Report } from '../../engine/report';
import { BIAS_SOURCE } from './bias-diagnostics';
import { fileUri } from '../uris';

export const UNREADABLE_CODE = 'unreadable-image';

const FILE_START = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** File URI → its diagnostic, for every file in the report's `failed` (paths relative to the dataset, or absolute). */
export function failedFileDiagnostics(report: Report, datasetRoot: string): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>();
  for (const f of report.failed ?? []) {
    const path = isAbsolute(f.path) ? f.path : join(datasetRoot, ...f.path.split('/'));
    out.set(fileUri(path), [{
      range: FILE_START,
      severity: DiagnosticSeverity.Warning,
      source: BIAS_SOURCE,
      code: UNREADABLE_CODE,
      message: `The run could not read this file and skipped it: ${f.error}`,
    }]);
  }
  return out;
}
