import { promises as fs } from 'node:fs';
import { extname, join } from 'node:path';
import { UserError } from '../errors';
import { byCodePoint } from './dataset-folders';

/** Extensions we treat as images when walking folders (any file named explicitly is tried regardless). */
export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif', '.heic', '.heif', '.bmp', '.dib']);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/** Hidden entries and our own output folder are never part of a dataset. */
export function isIgnoredEntry(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules' || name === '__MACOSX';
}

/** A path that could not be listed or followed, and why: it goes to the run's `failed`, never silently away. */
export interface PathProblem {
  path: string;
  error: string;
}

export interface WalkedFiles {
  images: string[];
  others: string[];
  /** Folders that could not be read, broken links and link loops under the walked folder. */
  problems: PathProblem[];
}

/** One line for a failed readdir or stat. */
export function describeFsError(err: unknown, what: 'folder' | 'link'): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return `cannot read ${what}: permission denied`;
  if (code === 'ENOENT') return what === 'link' ? 'broken symbolic link: its target does not exist' : 'folder not found';
  if (code === 'ELOOP') return 'symbolic link loop';
  if (code === 'ENOTDIR') return 'not a folder';
  return `cannot read ${what}: ${code ?? String(err)}`;
}

/**
 * Every file under `dir` (recursively), sorted; `images` keeps image extensions, `others` the rest. Symbolic links to
 * folders are followed once each (a link back into a folder being walked is a loop, reported); unreadable folders
 * and broken links are reported in `problems`. Only `dir` itself failing to list throws.
 */
export async function walkFiles(dir: string): Promise<WalkedFiles> {
  const out: WalkedFiles = { images: [], others: [], problems: [] };
  const visiting = new Set<string>();
  const visit = async (d: string, top: boolean): Promise<void> => {
    let real;
    let entries;
    try {
      real = await fs.realpath(d);
      if (visiting.has(real)) {
        out.problems.push({ path: d, error: 'symbolic link loop: this folder links back to a folder that contains it; skipped' });
        return;
      }
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch (err) {
      if (top) throw err;
      out.problems.push({ path: d, error: describeFsError(err, 'folder') });
      return;
    }
    visiting.add(real);
    entries.sort((a, b) => byCodePoint(a.name, b.name));
    for (const e of entries) {
      if (isIgnoredEntry(e.name)) continue;
      const p = join(d, e.name);
      let isDirectory = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          isDirectory = (await fs.stat(p)).isDirectory();
        } catch (err) {
          out.problems.push({ path: p, error: describeFsError(err, 'link') });
          continue;
        }
      }
      // Sockets, FIFOs and devices are listed too: reading them is refused with a reason, in `failed`.
      if (isDirectory) await visit(p, false);
      else (isImageName(e.name) ? out.images : out.others).push(p);
    }
    visiting.delete(real);
  };
  await visit(dir, true);
  return out;
}

/**
 * The images named by command-line arguments: files as given, folders walked for image files. A missing path
 * is a user error; non-image files inside folders are skipped (named files are always tried).
 */
export async function collectImagePaths(args: readonly string[]): Promise<{ paths: string[]; problems: PathProblem[] }> {
  const paths: string[] = [];
  const problems: PathProblem[] = [];
  for (const arg of args) {
    let stat;
    try {
      stat = await fs.stat(arg);
    } catch {
      throw new UserError(`${arg}: no such file or folder`);
    }
    if (stat.isDirectory()) {
      const walked = await walkFiles(arg).catch((err: unknown) => {
        throw new UserError(`${arg}: ${describeFsError(err, 'folder')}`);
      });
      paths.push(...walked.images);
      problems.push(...walked.problems);
    } else paths.push(arg);
  }
  return { paths, problems };
}
