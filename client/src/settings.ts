// The "gla" settings as the extension reads them; the worker reads the same section over workspace/configuration.
import * as vscode from 'vscode';
import type { GlaSettings } from '../../server/src/protocol';
import { DEFAULT_LABEL_ISSUE_THRESHOLD, labelIssueThreshold } from '../../server/src/gla/label-issue-threshold';

export const SETTINGS_SECTION = 'gla';

/** Defaults mirror package.json's contributes.configuration. */
export function readSettings(scope?: vscode.Uri): GlaSettings {
  const c = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope);
  return {
    model: c.get<string>('model', 'clip-vit-base-patch32'),
    // A hand-edited settings.json may hold anything here: only a string names a model.
    finetuned: stringSetting(c.get<unknown>('finetuned', '')),
    executionProvider: c.get<GlaSettings['executionProvider']>('executionProvider', 'auto'),
    batchSize: c.get<number>('batchSize', 32),
    exactDecode: c.get<unknown>('exactDecode', false) === true,
    cacheDir: c.get<string>('cacheDir', ''),
    templates: c.get<string[]>('templates', []),
    labelIssueThreshold: labelIssueThreshold(c.get<unknown>('labelIssues.threshold', DEFAULT_LABEL_ISSUE_THRESHOLD)),
  };
}

function stringSetting(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** gla.cacheDir when set, else the extension's global storage (where the worker keeps models and embeddings). */
export function effectiveCacheDir(context: vscode.ExtensionContext): string {
  return readSettings().cacheDir.trim() || context.globalStorageUri.fsPath;
}
