import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write';

/** What we know of a file's content: its sha256, valid while size and mtime stay the same. */
export interface ContentKey {
  hash: string;
  size: number;
  mtimeMs: number;
}

/** sha256 of a file's bytes, streamed so large files never sit in memory whole. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const INDEX_VERSION = 1;

/**
 * The size+mtime fast path in front of content hashing: path → {size, mtime, sha256}. It is only a hint; a wrong
 * or lost index costs a re-hash, never a wrong embedding, because embeddings are keyed by content.
 */
export class PathIndex {
  private entries = new Map<string, ContentKey>();
  private dirty = false;
  private readonly file: string;

  constructor(cacheDir: string) {
    this.file = join(cacheDir, 'embeddings', 'path-index.json');
  }

  async load(): Promise<void> {
    try {
      const json = JSON.parse(await fs.readFile(this.file, 'utf8')) as { version?: number; entries?: Record<string, ContentKey> };
      if (json.version !== INDEX_VERSION || typeof json.entries !== 'object' || json.entries === null) return;
      for (const [path, key] of Object.entries(json.entries)) {
        if (key && typeof key.hash === 'string' && typeof key.size === 'number' && typeof key.mtimeMs === 'number') this.entries.set(path, key);
      }
    } catch {
      // Missing or corrupt: start empty and rebuild as files are hashed.
    }
  }

  /** The file's content key: from the index when size and mtime match, else by hashing it. */
  async keyOf(path: string): Promise<ContentKey> {
    const stat = await fs.stat(path);
    const known = this.entries.get(path);
    if (known && known.size === stat.size && known.mtimeMs === stat.mtimeMs) return known;
    const key = { hash: await hashFile(path), size: stat.size, mtimeMs: stat.mtimeMs };
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
