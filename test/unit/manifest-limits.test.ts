// The gla.yaml limits (manifest-limits.ts): an oversized file is refused from its size without being read, and a
// manifest listing more than MAX_CLASSES classes is refused before its document tree is built.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../server/src/errors';
import { parseManifest } from '../../server/src/dataset/manifest';
import { MAX_CLASSES, MAX_MANIFEST_BYTES } from '../../server/src/dataset/manifest-limits';
import { firstManifestError, readManifest, readManifestText } from '../../server/src/dataset/read-manifest';

function folder(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gla-limits-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function classList(count: number): string {
  const lines = ['classes:'];
  for (let i = 1; i <= count; i++) lines.push(`- c${i}`);
  return `${lines.join('\n')}\n`;
}

test('the limits are 1 MiB and 100 000 classes', () => {
  assert.equal(MAX_MANIFEST_BYTES, 1_048_576);
  assert.equal(MAX_CLASSES, 100_000);
});

test('readManifest refuses a 2 MB gla.yaml with a UserError from its size, without reading it', async (t) => {
  const path = join(folder(t), 'gla.yaml');
  // Sparse: 2 MiB of zero bytes, which a reader would pass to the YAML parser and get a syntax error back.
  writeFileSync(path, '');
  truncateSync(path, 2 * 1_048_576);
  await assert.rejects(readManifest(path), (err: unknown) => {
    assert.ok(err instanceof UserError, `not a UserError: ${String(err)}`);
    assert.equal(err.message, `${path} is 2.0 MB; the limit is 1 MB — it lists classes, prompts and templates, not images, so it is not read further`);
    assert.equal(err.exitCode, 2);
    return true;
  });
});

test('a sparse 8 GB gla.yaml is refused as quickly, so nothing was read', async (t) => {
  const path = join(folder(t), 'gla.yaml');
  writeFileSync(path, '');
  truncateSync(path, 8 * 1024 ** 3);
  const start = Date.now();
  await assert.rejects(readManifestText(path), /is 8192\.0 MB; the limit is 1 MB/);
  assert.ok(Date.now() - start < 1000, `took ${Date.now() - start} ms`);
});

test('a gla.yaml of exactly 1 MiB is read and parsed', async (t) => {
  const path = join(folder(t), 'gla.yaml');
  const head = 'classes: [a, b]\n#';
  writeFileSync(path, head + 'x'.repeat(MAX_MANIFEST_BYTES - head.length));
  assert.equal((await readManifestText(path)).length, MAX_MANIFEST_BYTES);
  assert.deepEqual((await readManifest(path)).classes?.map((c) => c.folder), ['a', 'b']);
});

test('a FIFO named gla.yaml is refused at once instead of blocking the read', { skip: process.platform === 'win32' }, async (t) => {
  const path = join(folder(t), 'gla.yaml');
  execFileSync('mkfifo', [path]);
  await assert.rejects(readManifestText(path), (err: unknown) => err instanceof UserError && /not a regular file/.test(err.message));
});

test('100 000 classes parse; 100 001 are one too-many-classes Error that the CLI reports', async (t) => {
  assert.equal(parseManifest(classList(MAX_CLASSES)).classes?.length, MAX_CLASSES);
  const over = parseManifest(classList(MAX_CLASSES + 1));
  assert.equal(over.classes, undefined);
  assert.deepEqual(over.problems.map((p) => [p.code, p.severity, p.range.start.line]), [['too-many-classes', 'error', 0]]);
  assert.match(over.problems[0].message, /^gla\.yaml has 100,001 list items; the limit is 100,000 classes/);

  const path = join(folder(t), 'gla.yaml');
  writeFileSync(path, classList(MAX_CLASSES + 1));
  const file = await readManifest(path);
  assert.deepEqual(file.problems.map((p) => p.code), ['too-many-classes'], 'no per-class checks ran');
  assert.deepEqual(file.effectiveClasses, []);
  assert.match(firstManifestError(file) ?? '', /gla\.yaml:1:1: gla\.yaml has 100,001 list items/);
});

test('a flow list of 500 000 one-letter classes in under 1 MiB is refused without building the document', () => {
  const text = `classes: [${Array(500_000).fill('c').join(',')}]\n`;
  assert.ok(text.length < MAX_MANIFEST_BYTES);
  const before = process.memoryUsage().heapUsed;
  const start = Date.now();
  const m = parseManifest(text);
  assert.deepEqual(m.problems.map((p) => p.code), ['too-many-classes']);
  assert.match(m.problems[0].message, /has 500,000 list items/);
  assert.ok(Date.now() - start < 3000, `took ${Date.now() - start} ms`);
  // The document tree of this text is ~500 MB; the lexer's count needs next to nothing.
  assert.ok(process.memoryUsage().heapUsed - before < 100 * 1024 ** 2);
});

test('an oversized text is not parsed: one Error on the first line', () => {
  const text = `classes:\n${'- a\n'.repeat(300_000)}`;
  const m = parseManifest(text);
  assert.deepEqual(m.problems.map((p) => [p.code, p.severity, p.range.start.line, p.range.end.line]), [['manifest-too-large', 'error', 0, 0]]);
  assert.match(m.problems[0].message, /^gla\.yaml is 1\.2 MB; the limit is 1 MB — /);
  assert.equal(m.classes, undefined);
});

test('commas and dashes inside text do not count as list items', () => {
  // 120 000 marks in quoted prompts and a block scalar, but only two classes.
  const prompt = `"${'-,'.repeat(30_000)}"`;
  const text = `classes:\n  - folder: a\n    prompt: ${prompt}\n  - folder: b\n    prompt: |\n      ${',-'.repeat(30_000)}\n`;
  assert.ok(text.length < MAX_MANIFEST_BYTES);
  const m = parseManifest(text);
  assert.deepEqual(m.classes?.map((c) => c.folder), ['a', 'b']);
  assert.deepEqual(m.problems, []);
});
