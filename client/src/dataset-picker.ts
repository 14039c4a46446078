// Which dataset a command works on: the one it was invoked on, the open gla.yaml, a gla.yaml in the workspace, or a
// folder the user picks.
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';

const MANIFEST = 'gla.yaml';

interface DatasetItem extends vscode.QuickPickItem {
  uri?: vscode.Uri;
}

export async function pickDataset(target: vscode.Uri | undefined, verb: string): Promise<vscode.Uri | undefined> {
  if (target) return target;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && basename(active.fsPath) === MANIFEST) return active;

  const manifests = await vscode.workspace.findFiles(`**/${MANIFEST}`, '**/{node_modules,.gla,.git}/**', 50);
  if (manifests.length === 0) return pickFolder(verb);
  manifests.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  const items: DatasetItem[] = manifests.map((uri) => ({
    label: `$(file-media) ${basename(dirname(uri.fsPath))}`,
    description: vscode.workspace.asRelativePath(uri),
    uri,
  }));
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(folder-opened) Choose a folder…' });
  const picked = await vscode.window.showQuickPick(items, { title: `GLA: ${verb}`, placeHolder: 'Which dataset?' });
  if (!picked) return undefined;
  return picked.uri ?? pickFolder(verb);
}

export async function pickFolder(verb: string, title = 'Choose the dataset folder (one folder of images per class)'): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    openLabel: verb,
    title,
  });
  return picked?.[0];
}
