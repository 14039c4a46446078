// Quick fixes: add or edit a prompt (for a bias finding too), put the folder a misspelt class means in its place,
// remove a class whose folder is missing or repeated, move a suspected mislabelled image.
import { access } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import {
  CodeActionKind, type CodeAction, type CodeActionParams, type TextEdit,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ManifestClass, Manifest } from '../../dataset/manifest';
import { WORDNET_ID } from '../../dataset/manifest';
import { defaultPrompt } from '../../dataset/manifest-checks';
import { documentEdit } from './document-edit';
import { FINDING_CODES } from '../runs/bias-diagnostics';
import { SHOW_CLASS_IN_PANEL_COMMAND, showClassArguments } from '../client-wording';
import { LABEL_ISSUE_CODE, type LabelIssueData } from '../runs/label-issue-diagnostics';
import { rangesIntersect } from './positions';
import { fileUri } from '../uris';
import { yamlScalar } from './yaml-text';

/** Diagnostics a "remove the class" quick fix answers. */
const REMOVABLE = new Set(['missing-folder', 'duplicate-class']);

/** A class's bias findings: their remedy is a better prompt, never removing the class. */
const FINDINGS = Object.values(FINDING_CODES);

/** The server command that selects a prompt's text in the client's editor (window/showDocument). */
export const EDIT_PROMPT_COMMAND = 'gla.editPrompt';

export interface ManifestActionOptions {
  /** The client supports documentChanges: edits carry the document's version, so a fix for an older text is refused. */
  versionedEdits: boolean;
  /** The client supports window/showDocument with a selection: "Edit the prompt" can put the cursor there. */
  showDocument: boolean;
  /** The client is our extension, which has the bias panel: findings link to their row there. */
  panel?: boolean;
}

/** Prompt, folder and remove-class actions for the classes the request's range touches. */
export function manifestCodeActions(params: CodeActionParams, doc: TextDocument, manifest: Manifest, options: ManifestActionOptions): CodeAction[] {
  const { versionedEdits } = options;
  // No classes (among them a manifest over the limits, left unparsed): nothing to act on, and no text to split.
  if (!manifest.classes?.length) return [];
  const lines = doc.getText().split(/\r?\n/);
  const actions: CodeAction[] = [];
  for (const c of manifest.classes ?? []) {
    if (!rangesIntersect(c.range, params.range)) continue;
    const about = (codes: string[]) => params.context.diagnostics.filter((d) => codes.includes(String(d.code)) && rangesIntersect(d.range, c.range));
    const findings = about(FINDINGS);
    if (c.prompt === undefined) {
      const edit = addPromptEdit(c, lines);
      if (edit) {
        const fixes = about(['wordnet-prompt', ...FINDINGS]);
        actions.push({
          title: `Add a prompt: line for '${c.folder}'`,
          kind: fixes.length ? CodeActionKind.QuickFix : CodeActionKind.RefactorRewrite,
          diagnostics: fixes.length ? fixes : undefined,
          isPreferred: fixes.length > 0,
          edit: documentEdit(doc, [edit], versionedEdits),
        });
      }
    }
    if (c.prompt !== undefined && c.promptRange && findings.length && options.showDocument) {
      actions.push({
        title: `Edit the prompt of '${c.folder}'`,
        kind: CodeActionKind.QuickFix,
        diagnostics: findings,
        isPreferred: true,
        command: { title: 'Edit the prompt', command: EDIT_PROMPT_COMMAND, arguments: [{ uri: params.textDocument.uri, range: c.promptRange }] },
      });
    }
    const finding = findings[0];
    const runDir = (finding?.data as { runDir?: unknown } | undefined)?.runDir;
    if (options.panel && finding && typeof runDir === 'string') {
      actions.push({
        title: `Show '${c.folder}' in the bias panel`,
        kind: CodeActionKind.QuickFix,
        diagnostics: findings,
        command: { title: 'Show in bias panel', command: SHOW_CLASS_IN_PANEL_COMMAND, arguments: showClassArguments(className(finding) ?? c.folder, runDir) },
      });
    }
    for (const missing of about(['missing-folder'])) {
      const suggestion = (missing.data as { suggestion?: unknown } | undefined)?.suggestion;
      if (typeof suggestion !== 'string') continue;
      actions.push({
        title: `Change to '${suggestion}'`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [missing],
        isPreferred: true,
        edit: documentEdit(doc, [{ range: c.folderRange, newText: yamlScalar(suggestion) }], versionedEdits),
      });
    }
    // Only a missing or repeated folder is fixed by removing the class; a biased class needs a better prompt.
    const fixes = about([...REMOVABLE]);
    const edit = fixes.length ? removeClassEdit(c, lines) : undefined;
    if (edit) {
      // A duplicate's diagnostic sits on the repeat only, so the repeat is the one offered as the fix.
      actions.push({
        title: `Remove class '${c.folder}' from gla.yaml`,
        kind: CodeActionKind.QuickFix,
        diagnostics: fixes,
        isPreferred: !actions.some((a) => a.isPreferred && a.diagnostics?.some((d) => fixes.includes(d))),
        edit: documentEdit(doc, [edit], versionedEdits),
      });
    }
  }
  return actions;
}

/** The report's name of the class a finding is about (its data carries it). */
function className(d: { data?: unknown }): string | undefined {
  const name = (d.data as { className?: unknown } | undefined)?.className;
  return typeof name === 'string' ? name : undefined;
}

/** The prompt a new `prompt:` line starts with: the folder in words, or "" for a WordNet id the user must name. */
function suggestedPrompt(folder: string): string {
  return WORDNET_ID.test(folder) ? '""' : yamlScalar(defaultPrompt(folder));
}

function addPromptEdit(c: ManifestClass, lines: string[]): TextEdit | undefined {
  const start = c.range.start;
  const first = lines[start.line] ?? '';
  const indent = ' '.repeat(start.character);
  const prompt = suggestedPrompt(c.folder);
  if (!/^\s*-\s+$/.test(first.slice(0, start.character))) return undefined;
  if (first[start.character] === '{') {
    // A flow mapping `{folder: x}`: add the key before its closing brace.
    const end = c.range.end;
    return { range: { start: { line: end.line, character: end.character - 1 }, end: { line: end.line, character: end.character - 1 } }, newText: `, prompt: ${prompt}` };
  }
  if (sameRange(c.folderRange, c.range)) {
    // `- dog` becomes `- folder: dog` + `prompt:` below it.
    const source = lines[start.line].slice(start.character, c.range.end.line === start.line ? c.range.end.character : undefined);
    return { range: c.range, newText: `folder: ${source}\n${indent}prompt: ${prompt}` };
  }
  const at = { line: c.folderRange.end.line, character: (lines[c.folderRange.end.line] ?? '').length };
  return { range: { start: at, end: at }, newText: `\n${indent}prompt: ${prompt}` };
}

function sameRange(a: ManifestClass['range'], b: ManifestClass['range']): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

/** Deletes the list item's whole lines; only for block lists (`- …` lines), where that leaves valid YAML. */
function removeClassEdit(c: ManifestClass, lines: string[]): TextEdit | undefined {
  const { start, end } = c.range;
  if (!/^\s*-\s+$/.test((lines[start.line] ?? '').slice(0, start.character))) return undefined;
  const after = (lines[end.line] ?? '').slice(end.character);
  if (after.trim() !== '' && !after.trim().startsWith('#')) return undefined;
  const next = end.line + 1;
  const to = next < lines.length ? { line: next, character: 0 } : { line: end.line, character: lines[end.line].length };
  const from = next < lines.length || start.line === 0 ? { line: start.line, character: 0 } : { line: start.line - 1, character: lines[start.line - 1].length };
  return { range: { start: from, end: to }, newText: '' };
}

/** "Move to '<suggested>'" for each suspected label error on an image: a RenameFile the user applies. */
export async function labelIssueCodeActions(params: CodeActionParams, canRename: boolean): Promise<CodeAction[]> {
  if (!canRename) return [];
  const actions: CodeAction[] = [];
  for (const d of params.context.diagnostics) {
    if (d.code !== LABEL_ISSUE_CODE || !isLabelIssueData(d.data)) continue;
    const target = await moveTarget(d.data);
    if (!target) continue;
    actions.push({
      title: `Move image to class '${d.data.suggested}'`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      isPreferred: true,
      edit: { documentChanges: [{ kind: 'rename', oldUri: params.textDocument.uri, newUri: fileUri(target), options: { overwrite: false, ignoreIfExists: false } }] },
    });
  }
  return actions;
}

function isLabelIssueData(data: unknown): data is LabelIssueData {
  const d = data as LabelIssueData | undefined;
  return typeof d?.datasetRoot === 'string' && typeof d.path === 'string' && typeof d.given === 'string' && typeof d.suggested === 'string';
}

/**
 * <split>/<given>/<image> → <split>/<suggested>/<image>. Only when the image sits in its class's folder; a name
 * already taken there gets a numbered suffix, so nothing is overwritten.
 */
export async function moveTarget(issue: LabelIssueData): Promise<string | undefined> {
  const parts = issue.path.split('/');
  if (parts.length < 2 || parts[parts.length - 2] !== issue.given) return undefined;
  const name = parts[parts.length - 1];
  const dir = join(issue.datasetRoot, ...parts.slice(0, -2), issue.suggested);
  const ext = extname(name);
  const stem = basename(name, ext);
  for (let n = 0; n < 1000; n++) {
    const candidate = join(dir, n === 0 ? name : `${stem}-${n}${ext}`);
    if (!(await access(candidate).then(() => true, () => false))) return candidate;
  }
  return undefined;
}
