// PathIndex's fast path on real files: a swap with equal size and mtime is seen, only regular files are read, and
// nothing hostile (a FIFO, /dev/zero) can hang it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PathIndex, hashFile } from '../../server/src/store/path-index';
import { statRegularFile } from '../../server/src/store/regular-file';

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

function tempCache(): { cacheDir: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'gla-path-index-'));
  const dir = join(root, 'files');
  mkdirSync(dir);
  return { cacheDir: join(root, 'cache'), dir };
}

/**
 * Rewrites a saved index as if every file had been hashed a minute after its last change, so the entries are past
 * the racy window and only the identity fields (size, mtime, ctime, inode, device) decide.
 */
function settle(cacheDir: string): void {
  const file = join(cacheDir, 'embeddings', 'path-index.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { ctimeMs: number; hashedAtMs: number }> };
  for (const entry of Object.values(json.entries)) entry.hashedAtMs = entry.ctimeMs + 60_000;
  writeFileSync(file, JSON.stringify(json));
}

async function reloaded(cacheDir: string): Promise<PathIndex> {
  const index = new PathIndex(cacheDir);
  await index.load();
  return index;
}

/** Fails unless `promise` settles within `ms`: a FIFO opened for reading would block forever. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

test('keyOf sees new content written in place with the same size and the old mtime restored', async () => {
  const { cacheDir, dir } = tempCache();
  const a = join(dir, 'a.png');
  writeFileSync(a, 'cat cat cat');
  // Whole seconds, so utimes can restore the mtime exactly.
  const t = new Date('2024-01-01T00:00:00Z');
  utimesSync(a, t, t);
  const index = new PathIndex(cacheDir);
  const before = await index.keyOf(a);
  assert.equal(before.hash, sha256('cat cat cat'));
  await index.save();
  settle(cacheDir);
  assert.equal((await (await reloaded(cacheDir)).keyOf(a)).hash, sha256('cat cat cat'));

  writeFileSync(a, 'dog dog dog');
  utimesSync(a, t, t);
  const after = statSync(a);
  assert.deepEqual([after.size, after.mtimeMs, after.ino], [before.size, before.mtimeMs, before.ino], 'the forgery keeps size, mtime and inode');
  assert.notEqual(after.ctimeMs, before.ctimeMs, 'but not ctime');
  assert.equal((await (await reloaded(cacheDir)).keyOf(a)).hash, sha256('dog dog dog'));
});

test('keyOf sees two files swapped by rename (mv a b; utime), even through a saved and reloaded index', async () => {
  const { cacheDir, dir } = tempCache();
  const a = join(dir, 'a.png');
  const b = join(dir, 'b.png');
  writeFileSync(a, 'AAAA');
  writeFileSync(b, 'BBBB');
  const t = new Date('2024-01-01T00:00:00Z');
  utimesSync(a, t, t);
  utimesSync(b, t, t);
  const index = new PathIndex(cacheDir);
  assert.equal((await index.keyOf(a)).hash, sha256('AAAA'));
  assert.equal((await index.keyOf(b)).hash, sha256('BBBB'));
  await index.save();
  settle(cacheDir);

  renameSync(a, join(dir, 'tmp'));
  renameSync(b, a);
  renameSync(join(dir, 'tmp'), b);
  utimesSync(a, t, t);
  utimesSync(b, t, t);
  const swapped = await reloaded(cacheDir);
  assert.equal((await swapped.keyOf(a)).hash, sha256('BBBB'));
  assert.equal((await swapped.keyOf(b)).hash, sha256('AAAA'));
});

test('an unchanged file is answered from the index without reading it', async () => {
  const { cacheDir, dir } = tempCache();
  const a = join(dir, 'a.png');
  writeFileSync(a, 'content');
  const s = statSync(a);
  // An entry hashed long after the file's last change, with a hash no file has: only the fast path can return it.
  const entry = { hash: 'f'.repeat(64), size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino, dev: s.dev, hashedAtMs: s.ctimeMs + 60_000 };
  mkdirSync(join(cacheDir, 'embeddings'), { recursive: true });
  writeFileSync(join(cacheDir, 'embeddings', 'path-index.json'), JSON.stringify({ version: 2, entries: { [a]: entry } }));
  const index = new PathIndex(cacheDir);
  await index.load();
  assert.equal((await index.keyOf(a)).hash, 'f'.repeat(64));
});

test('an entry hashed within a timestamp tick of its last change is checked again (racy clean)', async () => {
  const { cacheDir, dir } = tempCache();
  const a = join(dir, 'a.png');
  writeFileSync(a, 'content');
  const s = statSync(a);
  const entry = { hash: 'f'.repeat(64), size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino, dev: s.dev, hashedAtMs: s.ctimeMs + 5 };
  mkdirSync(join(cacheDir, 'embeddings'), { recursive: true });
  writeFileSync(join(cacheDir, 'embeddings', 'path-index.json'), JSON.stringify({ version: 2, entries: { [a]: entry } }));
  const index = new PathIndex(cacheDir);
  await index.load();
  assert.equal((await index.keyOf(a)).hash, sha256('content'));
});

test('a version-1 index (size and mtime only) is ignored and rebuilt', async () => {
  const { cacheDir, dir } = tempCache();
  const a = join(dir, 'a.png');
  writeFileSync(a, 'content');
  const s = statSync(a);
  mkdirSync(join(cacheDir, 'embeddings'), { recursive: true });
  const file = join(cacheDir, 'embeddings', 'path-index.json');
  writeFileSync(file, JSON.stringify({ version: 1, entries: { [a]: { hash: 'f'.repeat(64), size: s.size, mtimeMs: s.mtimeMs } } }));
  const index = new PathIndex(cacheDir);
  await index.load();
  assert.equal((await index.keyOf(a)).hash, sha256('content'));
  await index.save();
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(saved.version, 2);
  assert.deepEqual(Object.keys(saved.entries[a]).sort(), ['ctimeMs', 'dev', 'hash', 'hashedAtMs', 'ino', 'mtimeMs', 'size']);
});

test('a 0-byte file hashes to the empty sha256', async () => {
  const { cacheDir, dir } = tempCache();
  const empty = join(dir, 'empty.png');
  writeFileSync(empty, '');
  assert.equal((await new PathIndex(cacheDir).keyOf(empty)).hash, sha256(''));
  assert.equal(await hashFile(empty), sha256(''));
});

test('a file larger than one read chunk hashes like its bytes', async () => {
  const { cacheDir, dir } = tempCache();
  const big = join(dir, 'big.bin');
  const bytes = Buffer.alloc(3 * (1 << 20) + 12345);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
  writeFileSync(big, bytes);
  assert.equal((await new PathIndex(cacheDir).keyOf(big)).hash, sha256(bytes));
});

test('a FIFO is refused without being opened, fast', { skip: process.platform === 'win32' }, async () => {
  const { cacheDir, dir } = tempCache();
  const fifo = join(dir, 'pipe.png');
  const made = spawnSync('mkfifo', [fifo]);
  assert.equal(made.status, 0, `mkfifo failed: ${made.stderr}`);
  await assert.rejects(within(2000, new PathIndex(cacheDir).keyOf(fifo)), /not a regular file \(a FIFO/);
  await assert.rejects(within(2000, hashFile(fifo)), /not a regular file \(a FIFO/);
  await assert.rejects(within(2000, statRegularFile(fifo)), /not a regular file \(a FIFO/);
});

test('a symlink to /dev/zero is refused as a character device, fast', { skip: !existsSync('/dev/zero') }, async () => {
  const { cacheDir, dir } = tempCache();
  const link = join(dir, 'zero.png');
  symlinkSync('/dev/zero', link);
  await assert.rejects(within(2000, new PathIndex(cacheDir).keyOf(link)), /not a regular file \(a character device\)/);
  await assert.rejects(within(2000, hashFile(link)), /not a regular file \(a character device\)/);
});

test('a directory is refused by name', async () => {
  const { cacheDir, dir } = tempCache();
  const folder = join(dir, 'folder.png');
  mkdirSync(folder);
  await assert.rejects(new PathIndex(cacheDir).keyOf(folder), /not a regular file \(a (directory|folder)\)/);
});

test('a missing file still fails as before (ENOENT), for the failed list', async () => {
  const { cacheDir, dir } = tempCache();
  await assert.rejects(new PathIndex(cacheDir).keyOf(join(dir, 'gone.png')), /ENOENT/);
});
