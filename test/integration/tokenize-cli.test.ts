// `gla tokenize` as users run it: the bundled CLI in a child process, checked against the reference ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, generatedFixtures, repoRoot, sharedDir } from '../helpers/paths';

interface Case {
  name: string;
  text: string;
  tokens: number[];
}

const fixtures = generatedFixtures('tokenizer');
const cases = (JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as { cases: Case[] }).cases;
const byName = (name: string): Case => cases.find((c) => c.name === name)!;
const vocabulary = join(sharedDir, 'clip', 'bpe_simple_vocab_16e6.txt.gz');

function gla(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, 'tokenize', ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertOneLineError(r: ReturnType<typeof gla>, pattern: RegExp): void {
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

const picked = ['ascii-prompt', 'contraction-upper', 'unicode-emoji-zwj', 'html-double-escaped', 'empty', 'long-sentence'].map(byName);

test('prints one line of space-separated ids per text', () => {
  const r = gla('--vocab', vocabulary, '--', ...picked.map((c) => c.text));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, picked.map((c) => c.tokens.join(' ') + '\n').join(''));
  const long = r.stdout.trimEnd().split('\n').at(-1)!.split(' ').map(Number);
  assert.equal(long.length, 77);
  assert.equal(long[76], 49407);
});

test('--json prints an array of id arrays', () => {
  const r = gla('--vocab', vocabulary, '--json', '--', ...picked.map((c) => c.text));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), picked.map((c) => c.tokens));
});

test('a model folder with tokenizer/tokenizer.json, and a vocab.json folder, give the same ids', () => {
  for (const dir of ['hf-json-pairs', 'hf-vocab']) {
    const r = gla('--json', '--vocab', join(fixtures, dir), '--', ...picked.map((c) => c.text));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), picked.map((c) => c.tokens), dir);
  }
});

test('--context-length cuts with the end token kept last; texts may start with a dash after --', () => {
  const c = byName('ascii-pangram');
  const r = gla('--vocab', vocabulary, '--context-length', '4', '--json', '--', c.text, '-5 degrees');
  assert.equal(r.code, 0, r.stderr);
  const [cut, dashed] = JSON.parse(r.stdout) as number[][];
  assert.deepEqual(cut, [...c.tokens.slice(0, 3), 49407]);
  assert.equal(dashed[0], 49406);
  assert.equal(dashed.at(-1), 49407);
  assert.ok(dashed.length <= 4);
});

test('bad input: one clear line on stderr and a non-zero exit', () => {
  assertOneLineError(gla('--', 'a photo'), /--vocab/);
  assertOneLineError(gla('--vocab', join(fixtures, 'no-such-file.txt.gz'), '--', 'a photo'), /no-such-file\.txt\.gz/);
  assertOneLineError(gla('--vocab', repoRoot, '--', 'a photo'), /vocab\.json \+ merges\.txt/);
  assertOneLineError(gla('--vocab', vocabulary), /no text/);
  assertOneLineError(gla('--vocab', vocabulary, '--'), /no text/);
  assertOneLineError(gla('--vocab', vocabulary, '--context-length', '1', '--', 'x'), /context-length/);
  assertOneLineError(gla('--vocab', vocabulary, '--context-length', 'many', '--', 'x'), /context-length/);
  assertOneLineError(gla('--vocab', vocabulary, '--bogus', '--', 'x'), /bogus/);
});
