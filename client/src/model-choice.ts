// Which CLIP model the next run of a dataset will use, as the worker decides it: gla.yaml's `model:`, else the
// gla.model setting (server/src/lsp/runs/analysis-commands.ts). No vscode import.
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { parseManifest } from '../../server/src/dataset/manifest';

export interface ModelChoice {
  model: string;
  source: 'gla.yaml' | 'setting';
  /** The gla.yaml that named the model, when it came from one. */
  manifestPath?: string;
}

/** gla.yaml's model when its text names one (even while other lines have errors), else the setting's. */
export function chooseModel(manifest: { path: string; text: string } | undefined, settingModel: string): ModelChoice {
  const named = manifest ? parseManifest(manifest.text).model?.value.trim() : undefined;
  return named && manifest ? { model: named, source: 'gla.yaml', manifestPath: manifest.path } : { model: settingModel, source: 'setting' };
}

/** The gla.yaml governing a file: in its folder or the nearest one above it, never above the workspace folder. */
export function nearestManifest(filePath: string, workspaceFolder: string, exists: (path: string) => boolean = existsSync): string | undefined {
  if (basename(filePath) === 'gla.yaml') return filePath;
  if (!inside(workspaceFolder, filePath)) return undefined;
  for (let dir = dirname(filePath); inside(workspaceFolder, dir); dir = dirname(dir)) {
    const candidate = join(dir, 'gla.yaml');
    if (exists(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  return undefined;
}

/** folder itself or anything below it. */
function inside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A model folder shows by its last name in the status bar; an id as it is. */
export function shortModelName(model: string): string {
  return /[\\/]/.test(model) ? model.split(/[\\/]/).filter(Boolean).pop() ?? model : model;
}
