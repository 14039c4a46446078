import { createHash } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { openRegularFile, readBounded, statRegularFile } from './regular-file';

/**
 * What we know of a file's content: its sha256, valid while the file's identity stays the same. ctime is in the
 * identity because nothing a user can do (write, rename, utime) leaves it unchanged; inode and device catch a swap.
 */
export interface ContentKey {
  hash: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
  /** Wall-clock time just before the bytes were read: a change within a timestamp tick of it could go unseen. */
  hashedAtMs: number;
}

/** A file's sha256 and the identity it had while it was read. */
export interface HashedFile {
  hash: string;
  stats: Stats;
  hashedAtMs: number;
}

/**
 * sha256 of a regular file's bytes, streamed so large files never sit in memory whole, and read only up to the size
 * it had when opened. FIFOs, devices, sockets and folders are refused unopened; a file that changes while being read
 * is an error, since its hash would describe neither version.
 */
export async function hashRegularFile(path: string): Promise<HashedFile> {
  const hashedAtMs = Date.now();
  const { handle, stats } = await openRegularFile(path);
  try {
    const hash = createHash('sha256');
    const read = await readBounded(handle, stats.size, (chunk) => hash.update(chunk));
    const after = await handle.stat();
    if (read !== stats.size || after.size !== stats.size || after.mtimeMs !== stats.mtimeMs || after.ctimeMs !== stats.ctimeMs) {
      throw new Error('the file changed while it was being read; try again once it is complete');
    }
    return { hash: hash.digest('hex'), stats, hashedAtMs };
  } finally {
    await handle.close();
  }
}

/** sha256 of a regular file's bytes (see hashRegularFile). */
export async function hashFile(path: string): Promise<string> {
  return (await hashRegularFile(path)).hash;
}

// 2: ctime, inode, device and the hashing time joined size and mtime, so version-1 indexes are rebuilt.
const INDEX_VERSION = 2;

// File timestamps can be as coarse as 2 s (FAT) and a kernel tick elsewhere: an entry whose ctime is that close to
// when it was hashed may hide a later change with the same ctime, so it is re-hashed once more (git's "racy clean").
const RACY_WINDOW_MS = 2000;

function keyFrom({ hash, stats, hashedAtMs }: HashedFile): ContentKey {
  return { hash, size: stats.size, mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs, ino: stats.ino, dev: stats.dev, hashedAtMs };
}

function sameIdentity(key: ContentKey, stats: Stats): boolean {
  return key.size === stats.size && key.mtimeMs === stats.mtimeMs && key.ctimeMs === stats.ctimeMs &&
    key.ino === stats.ino && key.dev === stats.dev;
}

function settled(key: ContentKey): boolean {
  return key.ctimeMs <= key.hashedAtMs - RACY_WINDOW_MS;
}

function isContentKey(value: unknown): value is ContentKey {
  if (!value || typeof value !== 'object') return false;
  const key = value as Record<string, unknown>;
  return typeof key.hash === 'string' &&
    ['size', 'mtimeMs', 'ctimeMs', 'ino', 'dev', 'hashedAtMs'].every((f) => typeof key[f] === 'number');
}

/**
 * The fast path in front of content hashing: path → {size, mtime, ctime, inode, device, sha256}. It is only a hint;
 * a wrong or lost index costs a re-hash, never a wrong embedding, because embeddings are keyed by content.
 */
export class PathIndex {
  private entries = new Map<string, ContentKey>();
  private dirty = false;
  private readonly file: string;

  /** `name` lets other kinds of files (model weights) keep their own small index beside the images' one. */
  constructor(cacheDir: string, name = 'path-index.json') {
    this.file = join(cacheDir, 'embeddings', name);
  }

  async load(): Promise<void> {
    try {
      const json = JSON.parse(await fs.readFile(this.file, 'utf8')) as { version?: number; entries?: Record<string, unknown> };
      if (json.version !== INDEX_VERSION || typeof json.entries !== 'object' || json.entries === null) return;
      for (const [path, key] of Object.entries(json.entries)) if (isContentKey(key)) this.entries.set(path, key);
    } catch {
      // Missing or corrupt: start empty and rebuild as files are hashed.
    }
  }

  /**
   * The file's content key: from the index when its identity is unchanged, else by hashing it. Throws for anything
   * but a regular file (following symlinks), with a message that says what it is.
   */
  async keyOf(path: string): Promise<ContentKey> {
    const stats = await statRegularFile(path);
    const known = this.entries.get(path);
    if (known && sameIdentity(known, stats) && settled(known)) return known;
    const key = keyFrom(await hashRegularFile(path));
    this.entries.set(path, key);
    this.dirty = true;
    return key;
  }

  /** Writes the index atomically if anything changed. */
  async save(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    await writeFileAtomic(this.file, JSON.stringify({ version: INDEX_VERSION, entries: Object.fromEntries(this.entries) }));
  }
}
