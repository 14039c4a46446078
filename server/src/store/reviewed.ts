// .gla/reviewed.json at the workspace root: the suspected label errors a user marked "not an error", each with the
// content hash of the image then (the embedding cache's hash), so a changed image is checked again.
import { promises as fs } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { hashFile } from './path-index';
import { UserError } from '../errors';

export const REVIEWED_VERSION = 1;

export interface ReviewedEntry {
  /** Image path relative to the dataset root, with / separators. */
  path: string;
  contentHash: string;
  given: string;
  suggested: string;
  /** ISO time of the review. */
  reviewedAt: string;
}

export interface ReviewedFile {
  version: number;
  /** The dataset root relative to the workspace root, with / separators ('.' when they are the same folder). */
  datasetRoot: string;
  entries: ReviewedEntry[];
}

/** What a read found: the entries that apply to this dataset, and at most one notice about the file. */
export interface ReviewedRead {
  entries: ReviewedEntry[];
  notice?: string;
}

export function reviewedPath(workspaceRoot: string): string {
  return join(resolve(workspaceRoot), '.gla', 'reviewed.json');
}

/** How reviewed.json names a dataset: relative to the workspace, / separators; absolute when outside it. */
export function datasetKey(workspaceRoot: string, datasetRoot: string): string {
  const rel = relative(resolve(workspaceRoot), resolve(datasetRoot));
  if (rel.startsWith('..') || isAbsolute(rel)) return resolve(datasetRoot).split(sep).join('/');
  return rel === '' ? '.' : rel.split(sep).join('/');
}

const isEntry = (e: unknown): e is ReviewedEntry => {
  const r = e as Record<string, unknown> | null;
  return !!r && typeof r === 'object' && ['path', 'contentHash', 'given', 'suggested', 'reviewedAt'].every((k) => typeof r[k] === 'string' && r[k] !== '');
};

/** Checks reviewed.json's text for `key` (datasetKey): malformed or another dataset's file → no entries and one notice. */
export function parseReviewed(text: string, key: string, file = 'reviewed.json'): ReviewedRead {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { entries: [], notice: `${file} is not valid JSON; it was ignored (images marked "not an error" may be flagged again)` };
  }
  const r = raw as Partial<ReviewedFile> | null;
  if (!r || typeof r !== 'object' || r.version !== REVIEWED_VERSION || typeof r.datasetRoot !== 'string' || !Array.isArray(r.entries) || !r.entries.every(isEntry)) {
    return { entries: [], notice: `${file} is not a version-${REVIEWED_VERSION} list of reviewed images ({version, datasetRoot, entries: [{path, contentHash, given, suggested, reviewedAt}]}); it was ignored` };
  }
  if (r.datasetRoot !== key) return { entries: [], notice: `${file} is for the dataset '${r.datasetRoot}', not '${key}'; it was ignored` };
  return { entries: r.entries };
}

/** The reviewed entries for a dataset; no file is no entries and no notice. */
export async function readReviewed(workspaceRoot: string, datasetRoot: string): Promise<ReviewedRead> {
  const file = reviewedPath(workspaceRoot);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { entries: [] } : { entries: [], notice: `${file} could not be read (${code ?? String(err)}); it was ignored` };
  }
  return parseReviewed(text, datasetKey(workspaceRoot, datasetRoot), file);
}

/** The images among `paths` (dataset-relative) still reviewed: an entry for the path whose hash the file still has. */
export async function stillReviewed(datasetRoot: string, entries: ReviewedEntry[], paths: Iterable<string>): Promise<Set<string>> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const out = new Set<string>();
  for (const path of paths) {
    const entry = byPath.get(path);
    if (!entry) continue;
    const hash = await hashFile(join(datasetRoot, ...path.split('/'))).catch(() => undefined);
    if (hash === entry.contentHash) out.add(path);
  }
  return out;
}

/**
 * Records images as "not an error" (hashing them now), replacing earlier entries for the same paths. A file that is
 * malformed or another dataset's is not overwritten: the caller gets its notice as an error to show.
 */
export async function markReviewed(workspaceRoot: string, datasetRoot: string, images: Omit<ReviewedEntry, 'contentHash' | 'reviewedAt'>[], now = new Date()): Promise<ReviewedEntry[]> {
  const file = reviewedPath(workspaceRoot);
  const key = datasetKey(workspaceRoot, datasetRoot);
  let existing: ReviewedEntry[] = [];
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text !== undefined) {
    const read = parseReviewed(text, key, file);
    if (read.notice) throw new UserError(`${read.notice.replace(/; it was ignored.*$/, '')}: fix or remove it to record reviews (nothing was written)`);
    existing = read.entries;
  }
  const added: ReviewedEntry[] = [];
  for (const image of images) {
    const contentHash = await hashFile(join(datasetRoot, ...image.path.split('/')));
    added.push({ path: image.path, contentHash, given: image.given, suggested: image.suggested, reviewedAt: now.toISOString() });
  }
  const paths = new Set(added.map((e) => e.path));
  const content: ReviewedFile = { version: REVIEWED_VERSION, datasetRoot: key, entries: [...existing.filter((e) => !paths.has(e.path)), ...added] };
  await writeFileAtomic(file, JSON.stringify(content, null, 2) + '\n');
  return added;
}

/** For the language server: which of a run's flagged paths are still reviewed, and the file's notice if any. */
export async function reviewedAmong(workspaceRoot: string, datasetRoot: string, paths: string[]): Promise<{ paths: Set<string>; notice?: string }> {
  const read = await readReviewed(workspaceRoot, datasetRoot);
  return { paths: read.entries.length ? await stillReviewed(datasetRoot, read.entries, paths) : new Set(), notice: read.notice };
}
