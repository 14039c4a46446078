// The context keys the Get Started walkthrough's steps complete on (package.json contributes.walkthroughs), each set
// only once the thing has really happened in this workspace.
import * as vscode from 'vscode';
import type { LastRun } from './last-run';

/** Context key names as package.json's completionEvents spell them (`onContext:<key>`). */
export const WalkthroughKeys = {
  /** The workspace holds a gla.yaml: a dataset is open and described. */
  hasManifest: 'gla.hasManifest',
  /** A run finished (now, or earlier in this workspace). */
  hasRun: 'gla.hasRun',
  /** The user moved a suspected mislabelled image into its suggested class folder. */
  labelFixApplied: 'gla.labelFixApplied',
} as const;

export function markDone(key: (typeof WalkthroughKeys)[keyof typeof WalkthroughKeys]): void {
  void vscode.commands.executeCommand('setContext', key, true);
}

/**
 * VS Code (1.100) registers an extension's walkthrough asynchronously after start-up, and a context key that is
 * already true at that moment is recorded as seen without completing its step. So what the workspace already had
 * is set a while after activation, once the walkthrough is registered.
 */
const EXISTING_STATE_DELAY_MS = 5000;

/** Sets the keys from what the workspace already has, and as it gains a gla.yaml or a run. */
export function trackWalkthroughProgress(watcher: vscode.FileSystemWatcher, lastRun: LastRun): vscode.Disposable {
  const timer = setTimeout(() => {
    if (lastRun.current) markDone(WalkthroughKeys.hasRun);
    void vscode.workspace.findFiles('**/gla.yaml', '**/{node_modules,.gla}/**', 1).then((found) => found.length > 0 && markDone(WalkthroughKeys.hasManifest));
  }, EXISTING_STATE_DELAY_MS);
  timer.unref?.();
  return vscode.Disposable.from(
    { dispose: () => clearTimeout(timer) },
    watcher.onDidCreate(() => markDone(WalkthroughKeys.hasManifest)),
    lastRun.onDidChange(() => markDone(WalkthroughKeys.hasRun)),
  );
}
