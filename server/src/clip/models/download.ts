// Downloads one file: resume with HTTP Range into `<file>.part`, verify size and sha256, rename into place.
// A file appears under its final name only whole and verified; a cancel or a broken connection leaves the .part.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { CancelledError, UserError } from '../../errors';
import { acquireLock } from './download-lock';
import {
  TransferInterruptedError, headerInt, hubRequest, isInterruption, type DeclaredFile, type HubRequestOptions, type HubResponse,
} from './hub-http';

export interface FileProgress {
  /** Bytes of the file on disk so far (a resumed .part counts from its size). */
  done: number;
  total?: number;
}

export interface DownloadFileOptions extends HubRequestOptions {
  expectedSize?: number;
  expectedSha256?: string;
  onProgress?: (p: FileProgress) => void;
  /** How many times an interrupted transfer is resumed before giving up. */
  retries?: number;
  /** First pause before resuming; it doubles each time. */
  retryDelayMs?: number;
}

export interface DownloadedFile {
  path: string;
  url: string;
  size: number;
  sha256: string;
  /** Bytes already in the .part when this call started (0 for a fresh download). */
  resumedFrom: number;
  /** Whether a size and a sha256 were known (from the caller or the hub) and matched. */
  sizeVerified: boolean;
  sha256Verified: boolean;
}

export function partPathFor(dest: string): string {
  return `${dest}.part`;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await fs.stat(path)).size;
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function hashFile(path: string, hash: Hash, signal: AbortSignal | undefined): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    if (signal?.aborted) throw new CancelledError();
    hash.update(chunk as Buffer);
  }
}

// Downloads of the same destination inside this process wait for each other.
const inFlight = new Map<string, Promise<unknown>>();

/**
 * Downloads `url` to `dest`: resumes a `.part` left by an earlier try with a Range request, checks the size and the
 * sha256 (the caller's, else what the hub declares), then renames it into place.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadFileOptions = {}): Promise<DownloadedFile> {
  while (inFlight.has(dest)) await inFlight.get(dest)!.catch(() => undefined);
  const run = downloadFileLocked(url, dest, opts);
  inFlight.set(dest, run);
  try {
    return await run;
  } finally {
    inFlight.delete(dest);
  }
}

async function downloadFileLocked(url: string, dest: string, opts: DownloadFileOptions): Promise<DownloadedFile> {
  if (opts.signal?.aborted) throw new CancelledError();
  await fs.mkdir(dirname(dest), { recursive: true }).catch((err) => {
    throw writeError(dirname(dest), err);
  });
  const release = await acquireLock(dest);
  try {
    const resumedFrom = (await sizeOf(partPathFor(dest))) ?? 0;
    const declared: DeclaredFile = {};
    const retries = opts.retries ?? 4;
    let delay = opts.retryDelayMs ?? 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await attemptDownload(url, dest, opts, declared);
        return { ...result, resumedFrom };
      } catch (err) {
        if (opts.signal?.aborted || err instanceof CancelledError) throw new CancelledError();
        if (!(err instanceof TransferInterruptedError || isRetryableStatus(err)) || attempt >= retries) {
          if (err instanceof TransferInterruptedError) {
            throw new UserError(`${err.message}; gave up after ${attempt + 1} tries. The partial file ${partPathFor(dest)} is kept: run the download again to resume`);
          }
          throw err;
        }
        await sleep(delay, opts.signal);
        delay *= 2;
      }
    }
  } finally {
    await release();
  }
}

class HubStatusError extends UserError {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

function isRetryableStatus(err: unknown): boolean {
  return err instanceof HubStatusError && (err.status >= 500 || err.status === 429 || err.status === 408);
}

function statusError(url: string, r: HubResponse): HubStatusError {
  const res = r.res;
  const status = res.statusCode ?? 0;
  // Through a proxy, the refusal may be the proxy's.
  const what = `${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}${r.proxy ? `, through proxy ${r.proxy}` : ''}`;
  if (status === 404) return new HubStatusError(`not found on the hub (HTTP ${what}): ${url}`, status);
  if (status === 401 || status === 403) {
    return new HubStatusError(`the hub refused ${url} (HTTP ${what}); for a gated or private repo set HF_TOKEN`, status);
  }
  return new HubStatusError(`the hub answered HTTP ${what} for ${url}`, status);
}

interface ContentRange {
  start?: number;
  total?: number;
}

function parseContentRange(value: string | undefined): ContentRange {
  const m = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)/i.exec(value ?? '');
  if (!m) return {};
  return { start: m[1] !== undefined ? Number(m[1]) : undefined, total: m[2] !== '*' ? Number(m[2]) : undefined };
}

/** One GET, resuming from the .part when there is one; throws TransferInterruptedError when the body breaks off. */
async function attemptDownload(
  url: string,
  dest: string,
  opts: DownloadFileOptions,
  declared: DeclaredFile,
): Promise<Omit<DownloadedFile, 'resumedFrom'>> {
  const part = partPathFor(dest);
  let have = (await sizeOf(part)) ?? 0;
  const knownSize = () => opts.expectedSize ?? declared.size;
  if (have > 0 && knownSize() !== undefined && have > knownSize()!) {
    await fs.rm(part, { force: true });
    have = 0;
  }

  let response: HubResponse | undefined;
  let append = false;
  let total: number | undefined;
  for (let tries = 0; tries < 2 && !response; tries++) {
    const r = await hubRequest('GET', url, have > 0 ? { Range: `bytes=${have}-` } : {}, opts);
    if (r.declared.size !== undefined) declared.size ??= r.declared.size;
    if (r.declared.sha256 !== undefined) declared.sha256 ??= r.declared.sha256;
    const status = r.res.statusCode ?? 0;
    const range = parseContentRange(r.res.headers['content-range'] as string | undefined);
    if (status === 206 && have > 0 && range.start === have) {
      append = true;
      total = range.total ?? (headerInt(r.res.headers['content-length']) ?? NaN) + have;
      response = r;
    } else if (status === 200 || (status === 206 && !range.start)) {
      // A server that ignores Range sends the whole file: start the .part again.
      have = 0;
      total = status === 206 ? range.total : headerInt(r.res.headers['content-length']);
      response = r;
    } else if (status === 416 && have > 0) {
      r.res.resume();
      r.close();
      // Nothing past the end: the .part is already whole if its size is the file's.
      const whole = range.total ?? knownSize();
      if (whole !== undefined && whole === have) {
        opts.onProgress?.({ done: have, total: have });
        return finish(url, dest, opts, declared, have);
      }
      await fs.rm(part, { force: true });
      have = 0;
    } else if (status === 206) {
      // Resumed at an offset we did not ask for: do not trust it, start over.
      r.res.resume();
      r.close();
      await fs.rm(part, { force: true });
      have = 0;
    } else {
      r.res.resume();
      r.close();
      throw statusError(url, r);
    }
  }
  if (!response) throw new UserError(`the hub kept refusing to send ${url} from the start`);
  if (total !== undefined && !Number.isFinite(total)) total = undefined;

  const expected = knownSize();
  if (expected !== undefined && total !== undefined && expected !== total) {
    response.close();
    await fs.rm(part, { force: true });
    throw new UserError(`size mismatch for ${url}: expected ${expected} bytes, the server is sending ${total}; the partial download was deleted`);
  }
  const limit = expected ?? total;

  const hash = createHash('sha256');
  let handle: fs.FileHandle;
  try {
    // Resuming: the sha256 covers the bytes already on disk too.
    if (append) await hashFile(part, hash, opts.signal);
    handle = await fs.open(part, append ? 'a' : 'w');
  } catch (err) {
    response.close();
    if (opts.signal?.aborted || err instanceof CancelledError) throw new CancelledError();
    throw writeError(part, err);
  }
  let done = have;
  let bodyBytes = 0;
  const contentLength = headerInt(response.res.headers['content-length']);
  opts.onProgress?.({ done, total: limit });
  try {
    try {
      for await (const chunk of response.res) {
        const buf = chunk as Buffer;
        if (limit !== undefined && done + buf.length > limit) {
          throw new UserError(`size mismatch for ${url}: the server sent more than the expected ${limit} bytes; the partial download was deleted`);
        }
        await handle.write(buf);
        hash.update(buf);
        done += buf.length;
        bodyBytes += buf.length;
        opts.onProgress?.({ done, total: limit });
      }
    } catch (err) {
      if (opts.signal?.aborted || err instanceof CancelledError) throw new CancelledError();
      if (err instanceof UserError) {
        await handle.close().catch(() => undefined);
        await fs.rm(part, { force: true });
        throw err;
      }
      if (isInterruption(err)) throw new TransferInterruptedError(url, describe(err));
      throw writeError(part, err);
    }
    if (contentLength !== undefined && bodyBytes < contentLength) {
      throw new TransferInterruptedError(url, `connection closed after ${bodyBytes} of ${contentLength} bytes`);
    }
    await handle.sync();
  } finally {
    response.close();
    await handle.close().catch(() => undefined);
  }
  return finish(url, dest, opts, declared, done, hash, total);
}

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR']);

/** A disk problem (full, read-only, no permission) is the user's to fix: say which file. */
function writeError(path: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code && DISK_CODES.has(code) ? new UserError(`cannot write ${path}: ${describe(err)}`) : err;
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code && !String(e.message).includes(e.code) ? `${e.code}: ${e.message}` : String(e?.message ?? err);
}

/** Checks the whole .part against the known size and sha256, then renames it to its final name. */
async function finish(
  url: string,
  dest: string,
  opts: DownloadFileOptions,
  declared: DeclaredFile,
  size: number,
  hash?: Hash,
  /** The whole file's size as the answering server gave it (Content-Length, Content-Range). */
  serverTotal?: number,
): Promise<Omit<DownloadedFile, 'resumedFrom'>> {
  const part = partPathFor(dest);
  if (!hash) {
    hash = createHash('sha256');
    await hashFile(part, hash, opts.signal);
  }
  const sha256 = hash.digest('hex');
  const expectedSize = opts.expectedSize ?? declared.size ?? serverTotal;
  const expectedSha = (opts.expectedSha256 ?? declared.sha256)?.toLowerCase();
  if (expectedSize !== undefined && size !== expectedSize) {
    await fs.rm(part, { force: true });
    throw new UserError(`size mismatch for ${url}: expected ${expectedSize} bytes, got ${size}; the partial download was deleted, run again to retry`);
  }
  if (expectedSha !== undefined && sha256 !== expectedSha) {
    await fs.rm(part, { force: true });
    throw new UserError(`sha256 mismatch for ${url}: expected ${expectedSha}, got ${sha256}; the download was deleted, run again to retry`);
  }
  await fs.rename(part, dest);
  return {
    path: dest,
    url,
    size,
    sha256,
    sizeVerified: expectedSize !== undefined,
    sha256Verified: expectedSha !== undefined,
  };
}
