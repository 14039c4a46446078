// Watches the class folders of a panel's suspected label errors and says which images now sit in their suggested
// folder, whenever a file there is created, changed or deleted (a "Move there", its undo, a move by hand).
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { PanelImage } from './bias-panel-api';
import { MovedImages, movableImages } from './moved-images';

export interface MovedImagesWatch extends vscode.Disposable {
  /** The images in their suggested folder as of the last look at the disk. */
  readonly moved: string[];
}

/** Events arrive in bursts (a rename is a delete and a create): look at the disk once they settle. */
const SETTLE_MS = 100;

export function watchMovedImages(datasetRoot: string, issues: readonly PanelImage[], changed: (moved: string[]) => void): MovedImagesWatch {
  const images = new MovedImages(movableImages(datasetRoot, issues));
  images.refresh(existsSync);
  let timer: NodeJS.Timeout | undefined;
  const look = (uri: vscode.Uri) => {
    if (!images.concerns(uri.fsPath)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (images.refresh(existsSync)) changed(images.moved);
    }, SETTLE_MS);
  };
  // One shallow watcher per class folder involved: cheap, however large the dataset.
  const watchers = images.folders.map((folder) => {
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '*'));
    w.onDidCreate(look);
    w.onDidDelete(look);
    w.onDidChange(look);
    return w;
  });
  return {
    get moved() {
      return images.moved;
    },
    dispose: () => {
      clearTimeout(timer);
      for (const w of watchers) w.dispose();
    },
  };
}
