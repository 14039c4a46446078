// The gla.yaml of the dataset the user is working in: the active editor's own, or the nearest one above the active
// file. Kept while a webview or panel has focus, so the status bar does not flicker; re-read when any gla.yaml changes.
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { nearestManifest } from './model-choice';

export interface ManifestText {
  path: string;
  text: string;
}

export class ActiveManifest implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private path: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(watcher: vscode.FileSystemWatcher) {
    this.disposables.push(
      this.changed,
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        // undefined: focus went to a webview, a panel or nothing; the dataset being worked on has not changed.
        if (editor) this.follow(editor.document.uri);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.fsPath === this.path) this.changed.fire();
      }),
      // A gla.yaml created, edited on disk or deleted may be the one that now governs the active file.
      watcher.onDidCreate(() => this.refollow()),
      watcher.onDidChange((uri) => uri.fsPath === this.path && this.changed.fire()),
      watcher.onDidDelete(() => this.refollow()),
    );
    this.refollow();
  }

  /** The governing gla.yaml's text: the editor's (unsaved edits included) when it is open, else the file's. */
  get current(): ManifestText | undefined {
    if (!this.path) return undefined;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === this.path);
    if (open) return { path: this.path, text: open.getText() };
    try {
      return { path: this.path, text: readFileSync(this.path, 'utf8') };
    } catch {
      return undefined; // deleted or unreadable: the setting applies
    }
  }

  private refollow(): void {
    const editor = vscode.window.activeTextEditor;
    if (editor) this.follow(editor.document.uri);
    else if (this.path) this.changed.fire();
  }

  private follow(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    // A gla.yaml opened from outside the workspace still governs itself.
    const path = nearestManifest(uri.fsPath, folder?.uri.fsPath ?? uri.fsPath);
    if (path === this.path) return;
    this.path = path;
    this.changed.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
