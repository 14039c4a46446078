// "Choose a model folder…", the quick fix on gla.yaml's model: line when it names no usable model: a folder picker,
// then the line edited (shown, undoable) to the folder, relative to gla.yaml where it lies inside its folder.
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { GlaContext } from '../gla-context';
import { editManifestModel } from '../record-model-choice';

/** Arguments from the language server's code action: `{ manifest: <gla.yaml's file URI> }`. */
export async function chooseModelFolder(_ctx: GlaContext, args?: unknown): Promise<string | undefined> {
  const raw = (args as { manifest?: unknown } | undefined)?.manifest;
  const manifest = typeof raw === 'string' ? vscode.Uri.parse(raw) : vscode.window.activeTextEditor?.document.uri;
  if (!manifest) return undefined;
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    defaultUri: vscode.Uri.file(dirname(manifest.fsPath)),
    openLabel: 'Use This Model',
    title: 'Choose a CLIP model folder (onnx/vision_model.onnx and onnx/text_model.onnx)',
  });
  if (!picked?.[0]) return undefined;
  return (await editManifestModel(manifest, picked[0].fsPath)) ? picked[0].fsPath : undefined;
}
