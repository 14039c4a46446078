// A fine-tuned model's classes (config.json's id2label, a logits file's class list) matched to the dataset's by
// name, as a user writes them: case does not matter, and `_` and spaces are the same.
import { UserError } from '../../errors';
import type { DatasetClass } from '../../dataset/discover';

/** "Blue_Triangle", "blue  triangle" → "blue triangle". */
export function classKey(name: string): string {
  return name.normalize('NFC').toLowerCase().replace(/[_\s]+/g, ' ').trim();
}

export interface ClassMatch {
  /** For dataset class c, the model's logit column. */
  columnOf: Int32Array;
  /** The model's classes no dataset class matched, dropped from its logits. */
  dropped: string[];
}

const list = (names: string[], max = 8): string => names.slice(0, max).map((n) => `'${n}'`).join(', ') + (names.length > max ? `, … (${names.length} in all)` : '');

/**
 * Matches every dataset class (by folder name, then by prompt) to one of the model's classes. A dataset class the
 * model lacks is an error that names it; two model classes with one name are an error too.
 */
export function matchClasses(modelClasses: readonly string[], classes: readonly DatasetClass[], source: string): ClassMatch {
  const byKey = new Map<string, number>();
  modelClasses.forEach((name, k) => {
    const key = classKey(name);
    const other = byKey.get(key);
    if (other !== undefined) throw new UserError(`${source}: classes ${other} ('${modelClasses[other]}') and ${k} ('${name}') have the same name`);
    byKey.set(key, k);
  });
  const missing: string[] = [];
  const used = new Set<number>();
  const columnOf = Int32Array.from(classes, (c) => {
    const k = byKey.get(classKey(c.name)) ?? byKey.get(classKey(c.prompt));
    if (k === undefined) {
      missing.push(c.name);
      return -1;
    }
    if (used.has(k)) throw new UserError(`${source}: the model's class '${modelClasses[k]}' matches two dataset classes`);
    used.add(k);
    return k;
  });
  if (missing.length) {
    throw new UserError(`${source}: the model has no class ${list(missing)} (names match ignoring case, with _ and spaces alike); its classes: ${list([...modelClasses])}`);
  }
  return { columnOf, dropped: modelClasses.filter((_, k) => !used.has(k)) };
}
