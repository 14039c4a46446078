// The user's fine-tuned model as its logits: PREFIX.npy (N × K, float16/32/64) + PREFIX.json {paths[], classes[]},
// made by their own training code. Rows are matched to the dataset's images as precomputed embeddings are.
import { promises as fs } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { UserError } from '../../errors';
import type { DatasetClass, DatasetItem } from '../../dataset/discover';
import { matchRowsToItems } from '../../dataset/row-paths';
import { isFloatDtype, readNpyHeader, readNpyRowsInto } from '../../store/npy';
import { matchClasses, type ClassMatch } from './class-names';

export interface LogitsFile {
  /** PREFIX.npy, resolved. */
  npyPath: string;
  name: string;
  /** Item i's logits in the model's column order are raw[i·K …] when has[i]. */
  raw: Float32Array;
  columns: number;
  has: Uint8Array;
  match: ClassMatch;
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((p) => typeof p === 'string');

/** The prefix a user may give with or without its extension. */
export const logitsPrefix = (path: string): string => resolve(path.replace(/\.(npy|json)$/, ''));

/** Reads the logits of the dataset's images from PREFIX.npy, streaming only the matched rows. */
export async function readLogitsFile(path: string, items: readonly DatasetItem[], classes: readonly DatasetClass[]): Promise<LogitsFile> {
  const base = logitsPrefix(path);
  let manifest: { paths?: unknown; classes?: unknown };
  try {
    manifest = JSON.parse(await fs.readFile(`${base}.json`, 'utf8'));
  } catch (err) {
    throw new UserError(`${base}.json: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (a logits PREFIX needs PREFIX.npy and PREFIX.json)' : `not readable JSON (${String(err).split('\n')[0]})`}`);
  }
  if (!isStringList(manifest.paths)) throw new UserError(`${base}.json: expected {"paths": [...], "classes": [...]}: "paths" lists the image of each row`);
  if (!isStringList(manifest.classes)) throw new UserError(`${base}.json: expected "classes": [...] naming the class of each logit column`);
  const header = await readNpyHeader(`${base}.npy`);
  if (header.shape.length !== 2 || !isFloatDtype(header.dtype)) {
    throw new UserError(`${base}.npy: expected a 2-D float array of logits (images × classes), got ${header.dtype} (${header.shape.join(', ')})`);
  }
  const [rows, columns] = header.shape;
  if (rows !== manifest.paths.length) throw new UserError(`${base}.npy has ${rows} rows but ${base}.json lists ${manifest.paths.length} paths`);
  if (columns !== manifest.classes.length) throw new UserError(`${base}.npy has ${columns} columns but ${base}.json names ${manifest.classes.length} classes`);
  const match = matchClasses(manifest.classes, classes, `${base}.json`);
  const rowOf = matchRowsToItems(manifest.paths, dirname(base), items);
  const target = new Int32Array(rows).fill(-1);
  const has = new Uint8Array(items.length);
  const copies: [number, number][] = [];
  rowOf.forEach((r, i) => {
    if (r < 0) return;
    has[i] = 1;
    if (target[r] >= 0) copies.push([target[r], i]);
    else target[r] = i;
  });
  const raw = new Float32Array(items.length * columns);
  await readNpyRowsInto(`${base}.npy`, header, target, raw);
  for (const [from, to] of copies) raw.copyWithin(to * columns, from * columns, (from + 1) * columns);
  for (let i = 0; i < items.length; i++) {
    if (!has[i]) continue;
    for (let k = 0; k < columns; k++) {
      const v = raw[i * columns + k];
      if (!Number.isFinite(v)) throw new UserError(`${base}.npy: row ${rowOf[i]} (${manifest.paths[rowOf[i]]}) has ${v} in column ${k} ('${manifest.classes[k]}'); logits must be finite`);
    }
  }
  return { npyPath: `${base}.npy`, name: basename(base), raw, columns, has, match };
}
