// The client's workspace folders, as paths: runs go to <workspace folder>/.gla/runs/.
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import type { WorkspaceFolder } from 'vscode-languageserver';
import { uriPath } from './uris';

export class WorkspaceFolders {
  private folders: string[] = [];

  constructor(initial: readonly WorkspaceFolder[] | null | undefined, rootUri?: string | null) {
    this.set(initial ?? (rootUri ? [{ uri: rootUri, name: '' }] : []));
  }

  set(folders: readonly WorkspaceFolder[]): void {
    this.folders = folders.map((f) => uriPath(f.uri)).filter((p): p is string => p !== undefined).map((p) => resolve(p));
  }

  change(added: readonly WorkspaceFolder[], removed: readonly WorkspaceFolder[]): void {
    const gone = new Set(removed.map((f) => uriPath(f.uri)).filter(Boolean).map((p) => resolve(p!)));
    const kept = this.folders.filter((f) => !gone.has(f));
    this.folders = [...kept, ...added.map((f) => uriPath(f.uri)).filter((p): p is string => p !== undefined).map((p) => resolve(p))];
  }

  all(): readonly string[] {
    return this.folders;
  }

  /** The innermost workspace folder holding `path`, else the path's parent (where the CLI would put runs). */
  rootFor(path: string): string {
    const inside = this.folders.filter((f) => {
      const rel = relative(f, path);
      return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
    });
    return inside.sort((a, b) => b.length - a.length)[0] ?? dirname(resolve(path));
  }
}
