// One call for the engine and the CLI: a gla.yaml on disk, checked against its dataset folder.
import { dirname, resolve } from 'node:path';
import { UserError, describeError } from '../errors';
import type { ClipTokenizer } from '../clip/text/tokenizer';
import { scanDatasetFolders, type DatasetFolders } from './dataset-folders';
import { parseManifest, type Manifest, type SplitName } from './manifest';
import { checkAgainstDataset, checkPromptLengths, effectiveClasses } from './manifest-checks';
import { MAX_MANIFEST_BYTES, exceedsManifestLimits, manifestSizeMessage } from './manifest-limits';
import { openRegularFile, readWhole } from '../store/regular-file';

export interface ManifestFile extends Manifest {
  /** The gla.yaml, absolute. */
  path: string;
  /** The dataset folder: the manifest's folder. */
  root: string;
  folders: DatasetFolders;
  /** The classes a run uses, in order: gla.yaml's list, else the class folders (sorted). Prompts filled in. */
  effectiveClasses: { folder: string; prompt: string }[];
}

export interface ReadManifestOptions {
  /** Text to use instead of the file's (an editor's unsaved buffer). */
  text?: string;
  /**
   * Counts prompt tokens when given (or when the function, given the parsed manifest, finds one for its model);
   * the prompt-length check is skipped otherwise.
   */
  tokenizer?: ClipTokenizer | ((manifest: Manifest) => Promise<ClipTokenizer | undefined>);
  /** Templates used when gla.yaml has none (the engine's default ensemble or the user's setting). */
  defaultTemplates?: readonly string[];
}

/**
 * Reads and checks a gla.yaml: every problem (syntax, types, unknown keys, missing folders, duplicates, templates,
 * WordNet ids, prompt lengths) is in `problems`; nothing throws except an unreadable or oversized file (UserError).
 * Callers that must refuse a broken manifest look for problems with severity 'error'.
 */
export async function readManifest(path: string, options: ReadManifestOptions = {}): Promise<ManifestFile> {
  path = resolve(path);
  const text = options.text ?? (await readManifestText(path));
  const manifest = parseManifest(text);
  const root = dirname(path);
  const folders = await scanDatasetFolders(root, splitFolders(manifest));
  // A manifest over the limits was not parsed: its one problem is all there is to say.
  if (exceedsManifestLimits(manifest)) return { ...manifest, path, root, folders, effectiveClasses: [] };
  const problems = [...manifest.problems, ...(await checkAgainstDataset(manifest, folders))];
  const tokenizer = typeof options.tokenizer === 'function' ? await options.tokenizer(manifest) : options.tokenizer;
  if (tokenizer) {
    const templates = manifest.templates?.map((t) => t.value) ?? options.defaultTemplates ?? [];
    problems.push(...checkPromptLengths(manifest, tokenizer, templates));
  }
  problems.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { ...manifest, problems, path, root, folders, effectiveClasses: effectiveClasses(manifest, folders) };
}

/**
 * A gla.yaml's text from disk. One over MAX_MANIFEST_BYTES is refused from its size alone, without reading it.
 */
export async function readManifestText(path: string): Promise<string> {
  const fail = (why: string) => new UserError(`cannot read ${path}: ${why}`);
  const opened = await openRegularFile(path).catch((err: unknown) => {
    throw fail(describeError(err));
  });
  const { handle, stats } = opened;
  try {
    if (stats.size > MAX_MANIFEST_BYTES) throw new UserError(manifestSizeMessage(stats.size, path));
    // Only the size it had when opened: a file that grows meanwhile is not read past the limit.
    return (await readWhole(handle, stats.size)).toString('utf8');
  } catch (err) {
    throw err instanceof UserError ? err : fail(describeError(err));
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The split folder names gla.yaml gives, as plain strings. */
export function splitFolders(manifest: Manifest): Partial<Record<SplitName, string>> {
  const out: Partial<Record<SplitName, string>> = {};
  for (const [name, located] of Object.entries(manifest.splits ?? {})) if (located) out[name as SplitName] = located.value;
  return out;
}

/** The first error, as one line, for callers that refuse to run on a broken manifest. */
export function firstManifestError(file: ManifestFile): string | undefined {
  const e = file.problems.find((p) => p.severity === 'error');
  return e && `${file.path}:${e.range.start.line + 1}:${e.range.start.character + 1}: ${e.message}`;
}
