// The folders of an ImageFolder dataset: class folders directly under the dataset folder, or under split folders.
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { SPLIT_NAMES, type SplitName } from './manifest';

export interface DatasetFolders {
  /** The dataset folder (the manifest's folder), absolute. */
  root: string;
  /** Split folders that exist, absolute. Empty when the class folders sit directly under the root. */
  splitDirs: Partial<Record<SplitName, string>>;
  /** Splits the manifest names whose folder does not exist. */
  missingSplits: SplitName[];
  /** Class folder names, sorted by code point as torchvision's ImageFolder sorts them; a union over splits. */
  classFolders: string[];
  /** For each class folder, the split folders it appears in ('' for the root). */
  classLocations: Map<string, string[]>;
}

/**
 * Lists the dataset's class folders. A split folder is the one `splits:` names, else `train`, `val` or `test` when
 * present. Hidden folders (.gla, .git) are never classes.
 */
export async function scanDatasetFolders(root: string, splits: Partial<Record<SplitName, string>> = {}): Promise<DatasetFolders> {
  root = resolve(root);
  const top = await subfolders(root);
  const splitDirs: Partial<Record<SplitName, string>> = {};
  const missingSplits: SplitName[] = [];
  for (const name of SPLIT_NAMES) {
    const named = splits[name];
    if (named !== undefined) {
      const dir = isAbsolute(named) ? named : resolve(root, named);
      if ((await subfolders(dir, true)) !== undefined) splitDirs[name] = dir;
      else missingSplits.push(name);
    } else if (top?.includes(name)) {
      splitDirs[name] = join(root, name);
    }
  }
  const classLocations = new Map<string, string[]>();
  const add = (folder: string, where: string): void => {
    const list = classLocations.get(folder);
    if (list) list.push(where);
    else classLocations.set(folder, [where]);
  };
  const splitEntries = Object.entries(splitDirs) as [SplitName, string][];
  if (splitEntries.length > 0) {
    for (const [name, dir] of splitEntries) for (const f of (await subfolders(dir)) ?? []) add(f, name);
  } else {
    for (const f of top ?? []) add(f, '');
  }
  const classFolders = [...classLocations.keys()].sort(byCodePoint);
  return { root, splitDirs, missingSplits, classFolders, classLocations };
}

/** Visible subfolder names (symbolic links to folders count), or undefined when `dir` is not a readable folder. */
async function subfolders(dir: string, probeOnly = false): Promise<string[] | undefined> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  if (probeOnly) return [];
  const names: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) names.push(e.name);
    else if (e.isSymbolicLink() && (await stat(join(dir, e.name)).then((s) => s.isDirectory(), () => false))) names.push(e.name);
  }
  return names;
}

/** Python's sorted() order for str: by code point, not UTF-16 unit. */
export function byCodePoint(a: string, b: string): number {
  const ca = Array.from(a);
  const cb = Array.from(b);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = ca[i].codePointAt(0)! - cb[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}
