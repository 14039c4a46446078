// gla.yaml over the limits of manifest-limits.ts, opened in the real server: one Error diagnostic, quickly, and
// every feature answers empty while the server keeps serving other files with bounded memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LspTestClient } from '../helpers/lsp-client';
import { uriOf } from '../helpers/lsp-client';
import { SHAPES_MANIFEST, serverInWorkspace } from '../helpers/lsp-workspace';

const ERROR = 1;
const QUICK_MS = 5_000;

/** A well-formed manifest of `count` classes, `- c1` … one per line (100 001 of them is ~890 KB). */
function manyClasses(count: number): string {
  const lines = ['classes:'];
  for (let i = 1; i <= count; i++) lines.push(`- c${i}`);
  return `${lines.join('\n')}\n`;
}

/** The server's peak resident memory in MB (Linux), or undefined elsewhere. */
function peakMemoryMb(client: LspTestClient): number | undefined {
  const status = `/proc/${client.child.pid}/status`;
  if (!existsSync(status)) return undefined;
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(status, 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : undefined;
}

async function timed<T>(what: string, fn: () => Promise<T>, limitMs = QUICK_MS): Promise<T> {
  const start = Date.now();
  const value = await fn();
  const ms = Date.now() - start;
  assert.ok(ms < limitMs, `${what} took ${ms} ms (limit ${limitMs} ms)`);
  return value;
}

test('a 2 MB gla.yaml gets one size Error at the top, features answer empty, and the server keeps serving', async (t) => {
  const { ws, client } = await serverInWorkspace(t);
  const big = uriOf(join(ws.flat, 'gla.yaml'));
  // 131 072 lines of `- class_0000001` (16 bytes each): 2 MiB.
  const text = `classes:\n${Array.from({ length: 131_072 }, (_, i) => `- class_${String(i).padStart(7, '0')}\n`).join('')}`;
  assert.ok(text.length > 2 * 1_048_576, `the text is ${text.length} bytes`);

  const start = Date.now();
  await client.open(big, text);
  const got = await client.waitForDiagnostics(big, (d) => d.length > 0);
  assert.ok(Date.now() - start < QUICK_MS, `the size diagnostic took ${Date.now() - start} ms`);
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.equal(got[0].code, 'manifest-too-large');
  assert.equal(got[0].severity, ERROR);
  assert.equal(got[0].range.start.line, 0);
  assert.match(got[0].message as string, /^gla\.yaml is 2\.\d MB; the limit is 1 MB — /);

  const inside = { line: 5, character: 3 };
  assert.equal(await timed('hover', () => client.hover(big, inside), 1000), null);
  assert.deepEqual(await timed('completion', () => client.completion(big, inside), 1000), []);
  const range = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } };
  assert.deepEqual(await timed('code actions', () => client.codeActions(big, range, got), 1000), []);

  // Another manifest is still checked and hovered.
  const small = uriOf(join(ws.shapes, 'gla.yaml'));
  await client.open(small, SHAPES_MANIFEST.replace('blue_square', 'purple hexagon'));
  const diagnostics = await timed('the small manifest', () => client.waitForDiagnostics(small, (d) => d.length > 0));
  assert.deepEqual(diagnostics.map((d) => d.code), ['missing-folder']);
  assert.match(JSON.stringify(await client.hover(small, { line: 1, character: 14 })), /red circle/);

  // Cut back under the limit, the big file is parsed and checked again.
  await client.change(big, 'classes: [cat, nothing here]\n');
  const fixed = await client.waitForDiagnostics(big, (d) => d.every((x) => x.code !== 'manifest-too-large'));
  assert.deepEqual(fixed.map((d) => d.code), ['missing-folder']);

  const peak = peakMemoryMb(client);
  if (peak !== undefined) assert.ok(peak < 250, `the server peaked at ${peak.toFixed(0)} MB`);
});

test('a gla.yaml listing 100 001 classes gets a class-count Error naming the count and the limit', async (t) => {
  const { ws, client } = await serverInWorkspace(t);
  const uri = uriOf(join(ws.flat, 'gla.yaml'));
  const text = manyClasses(100_001);
  assert.ok(Buffer.byteLength(text) < 1_048_576, 'under the size limit, so the class count is what refuses it');
  await client.open(uri, text);
  const got = await timed('the class-count diagnostic', () => client.waitForDiagnostics(uri, (d) => d.length > 0));
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.equal(got[0].code, 'too-many-classes');
  assert.equal(got[0].severity, ERROR);
  assert.deepEqual(got[0].range, { start: { line: 0, character: 0 }, end: { line: 0, character: 7 } });
  assert.match(got[0].message as string, /has 100,001 list items; the limit is 100,000 classes/);
  assert.equal(await client.hover(uri, { line: 3, character: 5 }), null);

  const peak = peakMemoryMb(client);
  if (peak !== undefined) assert.ok(peak < 250, `the server peaked at ${peak.toFixed(0)} MB`);
});
