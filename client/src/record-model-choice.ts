// Where a model choice is written. gla.yaml's `model:` wins over the gla.model setting, so when it names a model the
// choice is offered as an edit of that line, which the user sees; otherwise it is a setting in the workspace's
// .vscode, or the user's settings when the opened folder is itself a dataset (GLA writes nothing into a dataset
// without an explicit edit).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { parseManifest } from '../../server/src/dataset/manifest';
import { yamlScalar } from '../../server/src/lsp/manifest/yaml-text';
import { SETTINGS_SECTION } from './settings';

/** The gla.yaml a model choice is about: the active editor's, else the workspace's only one. */
export async function relevantManifest(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && active.path.endsWith('/gla.yaml')) return active;
  const found = await vscode.workspace.findFiles('**/gla.yaml', '**/{node_modules,.gla,.git}/**', 2);
  return found.length === 1 ? found[0] : undefined;
}

/** How gla.yaml should name `model`: an id as is, a folder relative to gla.yaml when inside its folder (it then survives a copy). */
export function modelValueFor(model: string, manifestPath: string): string {
  if (!isAbsolute(model)) return model;
  const rel = relative(dirname(manifestPath), model);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : model;
}

/** Whether a workspace folder is a dataset itself (its gla.yaml or split folders sit at its top). */
export function isDatasetFolder(folder: string): boolean {
  return ['gla.yaml', 'train', 'val', 'test'].some((name) => existsSync(join(folder, name)));
}

/** Replaces gla.yaml's `model:` value with `model` as one undoable edit, saved and shown. */
export async function editManifestModel(manifest: vscode.Uri, model: string): Promise<boolean> {
  const doc = await vscode.workspace.openTextDocument(manifest);
  const parsed = parseManifest(doc.getText());
  const located = parsed.model;
  const value = yamlScalar(modelValueFor(model, manifest.fsPath));
  const edit = new vscode.WorkspaceEdit();
  if (located) {
    const r = located.range;
    edit.replace(manifest, new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character), value);
  } else {
    edit.insert(manifest, new vscode.Position(0, 0), `model: ${value}\n`);
  }
  if (!(await vscode.workspace.applyEdit(edit))) return false;
  // The worker reads gla.yaml from disk when a run starts: save, so the next analysis uses what the user sees.
  await doc.save();
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  const line = located?.range.start.line ?? 0;
  editor.selection = new vscode.Selection(line, 0, line, doc.lineAt(line).text.length);
  editor.revealRange(editor.selection);
  return true;
}

/** The setting's target: the workspace's .vscode, unless the opened folder is a dataset (or untrusted): then the user's. */
export function settingTarget(): vscode.ConfigurationTarget {
  const folders = vscode.workspace.workspaceFolders ?? [];
  // In Restricted Mode a workspace value of gla.model is ignored (restrictedConfigurations), so write the user's.
  if (!folders.length || !vscode.workspace.isTrusted) return vscode.ConfigurationTarget.Global;
  return folders.some((f) => f.uri.scheme === 'file' && isDatasetFolder(f.uri.fsPath)) ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace;
}

/**
 * Records a CLIP model choice: as an edit of gla.yaml's model: line when gla.yaml names one and the user accepts,
 * else as the gla.model setting. Returns where it went, in words, or undefined when the user backed out.
 */
export async function recordModelChoice(model: string): Promise<string | undefined> {
  const manifest = await relevantManifest();
  const named = manifest ? parseManifest((await vscode.workspace.openTextDocument(manifest)).getText()).model?.value : undefined;
  if (manifest && named !== undefined) {
    const editLine = 'Edit gla.yaml';
    const setting = 'Use the Setting Only';
    const choice = await vscode.window.showInformationMessage(
      `GLA: ${vscode.workspace.asRelativePath(manifest)} names the model ${named}, which wins over the gla.model setting. Change its model: line to ${modelValueFor(model, manifest.fsPath)}?`,
      editLine,
      setting,
    );
    if (choice === editLine) return (await editManifestModel(manifest, model)) ? `gla.yaml's model: line` : undefined;
    if (choice !== setting) return undefined;
  }
  const target = settingTarget();
  await vscode.workspace.getConfiguration(SETTINGS_SECTION).update('model', model, target);
  return target === vscode.ConfigurationTarget.Workspace ? 'the workspace settings' : 'your user settings';
}
