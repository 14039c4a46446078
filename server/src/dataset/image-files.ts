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

/** Every file under `dir` (recursively), sorted; `images` keeps image extensions, `others` the rest. */
export async function walkFiles(dir: string): Promise<{ images: string[]; others: string[] }> {
  const images: string[] = [];
  const others: string[] = [];
  const visit = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true });
    entries.sort((a, b) => byCodePoint(a.name, b.name));
    for (const e of entries) {
      if (isIgnoredEntry(e.name)) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile() || e.isSymbolicLink()) (isImageName(e.name) ? images : others).push(p);
    }
  };
  await visit(dir);
  return { images, others };
}

/**
 * The images named by command-line arguments: files as given, folders walked for image files. A missing path
 * is a user error; non-image files inside folders are skipped (named files are always tried).
 */
export async function collectImagePaths(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    let stat;
    try {
      stat = await fs.stat(arg);
    } catch {
      throw new UserError(`${arg}: no such file or folder`);
    }
    if (stat.isDirectory()) out.push(...(await walkFiles(arg)).images);
    else out.push(arg);
  }
  return out;
}
