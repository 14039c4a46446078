// Where gla.yaml names a class: its `folder:` line, found with the worker's own manifest parser. No vscode import.
import { parseManifest, type SourceRange } from '../../server/src/dataset/manifest';

export type ClassLocation =
  | { kind: 'found'; range: SourceRange }
  /** gla.yaml has a classes: list without this class. */
  | { kind: 'not-listed' }
  /** gla.yaml has no classes: list (the classes are the folders). */
  | { kind: 'no-class-list' };

/** By folder name, else by prompt, as the bias findings in the Problems view are placed. */
export function findClassInManifest(text: string, name: string): ClassLocation {
  const classes = parseManifest(text).classes;
  if (!classes) return { kind: 'no-class-list' };
  const key = name.normalize('NFC');
  const entry = classes.find((c) => c.folder.normalize('NFC') === key) ?? classes.find((c) => c.prompt?.normalize('NFC') === key);
  return entry ? { kind: 'found', range: entry.folderRange } : { kind: 'not-listed' };
}
