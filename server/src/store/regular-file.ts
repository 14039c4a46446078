// Only regular files are ever opened: opening a FIFO blocks forever, and a device such as /dev/zero never ends.
import { constants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** What a non-regular file is, in the user's words. */
export function fileKind(stat: Stats): string {
  if (stat.isFile()) return 'a file';
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

export class FileReadError extends Error {
  constructor(message: string, readonly code: 'not-regular' | 'timeout' | 'io') {
    super(message);
    this.name = 'FileReadError';
  }
}


function requireRegular(stats: Stats): Stats {
  if (!stats.isFile()) throw new FileReadError(`not a regular file (${fileKind(stats)})`, 'not-regular');
  return stats;
}

/** stat (following symlinks) that throws `not a regular file (a FIFO …)` unless the path is a regular file. */
export async function statRegularFile(path: string): Promise<Stats> {
  return requireRegular(await fs.stat(path));
}

// Non-blocking, so a FIFO swapped in between the stat and the open cannot hang us (no effect on regular files).
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Opens a regular file for reading; anything else is refused before it is opened, and checked again on the open
 * handle in case the path was swapped in between. The caller closes the handle.
 */
export async function openRegularFile(path: string): Promise<{ handle: FileHandle; stats: Stats }> {
  await statRegularFile(path);
  const handle = await fs.open(path, OPEN_FLAGS);
  try {
    return { handle, stats: requireRegular(await handle.stat()) };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

const CHUNK = 1 << 20;

/**
 * Calls `onChunk` with the file's bytes, at most `size` of them (the size it had when opened), so a file that grows
 * while we read it cannot keep us reading forever. Returns how many bytes were read (fewer if it shrank).
 */
export async function readBounded(handle: FileHandle, size: number, onChunk: (bytes: Buffer) => void): Promise<number> {
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(size, CHUNK)));
  let done = 0;
  while (done < size) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, size - done), done);
    if (bytesRead === 0) break;
    onChunk(buffer.subarray(0, bytesRead));
    done += bytesRead;
  }
  return done;
}

/** All of an open file's bytes, at most `size` (the size it had when opened), read straight into one buffer. */
export async function readWhole(handle: FileHandle, size: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const { bytesRead } = await handle.read(out, done, size - done, done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === size ? out : out.subarray(0, done);
}

export const DEFAULT_READ_TIMEOUT_MS = 30_000;

/**
 * The bytes of a regular file, as many as it had when opened, or an error after `timeoutMs` (a stalled network file
 * system): a user's file is read whole without ever blocking the run.
 */
export async function readRegularFile(path: string, timeoutMs = DEFAULT_READ_TIMEOUT_MS): Promise<Buffer> {
  const { handle, stats } = await openRegularFile(path);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FileReadError(`reading took longer than ${Math.round(timeoutMs / 1000)} s; gave up`, 'timeout')), timeoutMs);
    });
    return await Promise.race([readWhole(handle, stats.size), timeout]);
  } finally {
    clearTimeout(timer);
    await handle.close().catch(() => undefined);
  }
}
