// The file a dataset-relative path (as report.json and predictions.csv write it) names, if it stays inside the
// dataset folder. The panel shows and opens images only through this. No vscode import.
import { isAbsolute, relative, resolve, sep } from 'node:path';

export function datasetFile(root: string, path: string): string | undefined {
  if (!path || isAbsolute(path) || /^[a-z]:/i.test(path) || path.includes('\0')) return undefined;
  const file = resolve(root, path);
  const rel = relative(resolve(root), file);
  return rel && !isAbsolute(rel) && !rel.split(sep).includes('..') ? file : undefined;
}
