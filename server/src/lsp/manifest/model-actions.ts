// Quick fixes on gla.yaml's model: line when it names no usable model: each model folder found near gla.yaml, the
// model the gla.model setting selects, and (in our VS Code extension) a folder picker.
import { CodeActionKind, type CodeAction, type CodeActionParams } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Manifest } from '../../dataset/manifest';
import { documentEdit } from './document-edit';
import { rangesIntersect } from './positions';
import { yamlScalar } from './yaml-text';

/** The diagnostics these fixes answer. */
export const MODEL_PROBLEMS = new Set(['unknown-model', 'incomplete-model']);

/** The VS Code command that picks a model folder and writes it into gla.yaml's model: line (client/src/commands.ts). */
export const CHOOSE_MODEL_FOLDER_COMMAND = 'gla.chooseModelFolder';

export interface ModelChoices {
  /** Model folders near gla.yaml, relative to it (nearbyModelFolders). */
  folders: readonly string[];
  /** The gla.model setting. */
  selected?: string;
  /** The client has our folder picker command. */
  chooseFolder: boolean;
  versionedEdits: boolean;
}

export function modelCodeActions(params: CodeActionParams, doc: TextDocument, manifest: Manifest, choices: ModelChoices): CodeAction[] {
  const model = manifest.model;
  if (!model) return [];
  const problems = params.context.diagnostics.filter((d) => MODEL_PROBLEMS.has(String(d.code)) && rangesIntersect(d.range, model.range));
  if (!problems.length) return [];
  const use = (value: string, title: string, preferred: boolean): CodeAction => ({
    title,
    kind: CodeActionKind.QuickFix,
    diagnostics: problems,
    isPreferred: preferred,
    edit: documentEdit(doc, [{ range: model.range, newText: yamlScalar(value) }], choices.versionedEdits),
  });
  const actions = choices.folders.filter((f) => f !== model.value).slice(0, 5).map((f, i) => use(f, `Use the model folder ${f}`, i === 0));
  if (choices.selected && choices.selected !== model.value) actions.push(use(choices.selected, `Use the selected model (${choices.selected})`, actions.length === 0));
  if (choices.chooseFolder) {
    actions.push({
      title: 'Choose a model folder…',
      kind: CodeActionKind.QuickFix,
      diagnostics: problems,
      command: { title: 'Choose a model folder…', command: CHOOSE_MODEL_FOLDER_COMMAND, arguments: [{ manifest: params.textDocument.uri }] },
    });
  }
  return actions;
}
