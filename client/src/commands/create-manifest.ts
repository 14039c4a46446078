// GLA: Create gla.yaml — a manifest scaffolded from the dataset's class folders. Never overwrites an existing one.
import { writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import * as vscode from 'vscode';
import type { SplitName } from '../../../server/src/dataset/manifest';
import { pickFolder } from '../dataset-picker';
import { asUri, type GlaContext } from '../gla-context';
import { scaffoldManifest } from '../manifest-scaffold';
import { readSettings } from '../settings';

export async function createManifest(ctx: GlaContext, target?: unknown): Promise<vscode.Uri | undefined> {
  const folder = asUri(target) ?? (await pickFolder('Create gla.yaml Here'));
  if (!folder) return undefined;
  const root = folder.fsPath;
  const file = vscode.Uri.file(join(root, 'gla.yaml'));

  const { scanDatasetFolders } = await import('../../../server/src/dataset/dataset-folders');
  const folders = await scanDatasetFolders(root);
  if (folders.classFolders.length === 0) {
    void vscode.window.showWarningMessage(
      `GLA: ${basename(root)} has no class folders (one folder of images per class, or train/val/test folders holding them). No gla.yaml was created.`,
    );
    return undefined;
  }
  const splits: Partial<Record<SplitName, string>> = {};
  for (const [name, dir] of Object.entries(folders.splitDirs) as [SplitName, string][]) splits[name] = relative(root, dir).split('\\').join('/');
  const text = scaffoldManifest({ classFolders: folders.classFolders, splits, model: readSettings(folder).model });

  try {
    await writeFile(file.fsPath, text, { flag: 'wx' }); // wx: fails rather than overwrite, even in a race
    ctx.output.info(`created ${file.fsPath} with ${folders.classFolders.length} classes`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    void vscode.window.showInformationMessage(`GLA: ${vscode.workspace.asRelativePath(file)} already exists; opened it unchanged.`);
  }
  await vscode.window.showTextDocument(file, { preview: false });
  return file;
}
