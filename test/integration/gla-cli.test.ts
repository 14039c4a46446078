import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../helpers/paths';
import { GlaCase, maxAbsDiff } from '../helpers/gla-cases';
import { serializeNpy } from '../../server/src/store/npy';

function gla(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'gla-cli-'));

test('gla prior --json matches the exact optimum and reports the pinned fields', () => {
  const c = new GlaCase('cli-prior');
  const r = gla('prior', '--logits', c.path('logits.npy'), '--labels', c.path('labels.npy'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const key of ['classes', 'samples', 'temperature', 'prior', 'logPrior', 'objective', 'gradientNorm', 'iterations', 'seconds']) {
    assert.ok(key in out, key);
  }
  assert.equal(out.classes, 100);
  assert.equal(out.samples, 2000);
  assert.equal(out.temperature, 1);
  const expected = c.expected<{ logPrior: number[]; objective: number }>();
  assert.ok(maxAbsDiff(out.logPrior, expected.logPrior) < 1e-6);
  assert.ok(Math.abs(out.objective - expected.objective) < 1e-9);
});

test('gla prior --calibrate fits T by likelihood; --calibrate confidence by the reference rule; --out writes JSON', () => {
  const c = new GlaCase('temperature-likelihood');
  const r = gla('prior', '--logits', c.path('logits.npy'), '--labels', c.path('labels.npy'), '--calibrate', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Math.abs(JSON.parse(r.stdout).temperature - c.expected<{ temperature: number }>().temperature) < 1e-6);
  const conf = new GlaCase('temperature-confidence');
  const out = join(tmp, 'prior.json');
  const r2 = gla('prior', '--logits', conf.path('logits.npy'), '--labels', conf.path('labels.npy'), '--calibrate', 'confidence', '--out', out);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, /temperature .*\(confidence\)/);
  const written = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok(Math.abs(written.temperature - conf.expected<{ temperature: number }>().temperature) < 1e-5);
});

test('gla ensemble + gla evaluate reproduce the GLA accuracy', () => {
  const c = new GlaCase('gla-ensemble');
  const priorPath = join(tmp, 'ens-prior.json');
  assert.equal(gla('prior', '--logits', c.path('labelled_logits.npy'), '--labels', c.path('labelled_labels.npy'), '--out', priorPath).status, 0);
  const out = join(tmp, 'gla.npy');
  const r = gla('ensemble', '--zeroshot', c.path('zeroshot.npy'), '--finetuned', c.path('finetuned.npy'), '--prior', priorPath, '--train-labels', c.path('train_labels.npy'), '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const ev = gla('evaluate', '--logits', out, '--labels', c.path('labels.npy'), '--prior', priorPath, '--json');
  assert.equal(ev.status, 0, ev.stderr);
  const result = JSON.parse(ev.stdout);
  assert.equal(result.top1, c.expected<{ glaTop1: number }>().glaTop1);
  for (const key of ['top1', 'meanRecall', 'perClassRecall', 'head', 'medium', 'tail', 'nll', 'ece']) assert.ok(key in result, key);
  assert.equal(typeof result.head, 'number');
});

test('bad input: one clear line on stderr, non-zero exit, never a stack trace', () => {
  const c = new GlaCase('prior-small');
  const logits = c.path('logits.npy');
  const labels = c.path('labels.npy');
  const write = (name: string, bytes: Uint8Array | string): string => {
    const p = join(tmp, name);
    writeFileSync(p, bytes);
    return p;
  };
  const nan = write('nan.npy', serializeNpy({ dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, NaN, 0, 1]) }));
  const inf = write('inf.npy', serializeNpy({ dtype: 'float64', shape: [2, 2], data: Float64Array.from([1, 0, -Infinity, 1]) }));
  const twoLabels = write('two.npy', serializeNpy({ dtype: 'int64', shape: [2], data: BigInt64Array.from([0n, 1n]) }));
  const outOfRange = write('range.npy', serializeNpy({ dtype: 'int32', shape: [60], data: Int32Array.from({ length: 60 }, (_, i) => (i === 9 ? 4 : i % 4)) }));
  const notNpy = write('text.npy', 'just some text\n');
  const small = write('small.npy', serializeNpy({ dtype: 'float32', shape: [2, 2], data: Float32Array.from([1, 0, 0, 1]) }));
  const int16 = write('int16.npy', Buffer.concat([Buffer.from(serializeNpy({ dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) })).subarray(0, 0), Buffer.from("\x93NUMPY\x01\x00v\x00{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }" + ' '.repeat(60) + '\n', 'latin1'), Buffer.alloc(4)]));
  const cases: [string[], RegExp][] = [
    [['prior', '--logits', nan, '--labels', twoLabels], /contains NaN at row 0, column 1/],
    [['prior', '--logits', inf, '--labels', twoLabels], /contains -Infinity at row 1, column 0/],
    [['prior', '--logits', logits, '--labels', outOfRange], /labels\[9\] = 4 is out of range/],
    [['prior', '--logits', logits, '--labels', twoLabels], /labels has 2 entries but the logits have 60 rows/],
    [['prior', '--logits', notNpy, '--labels', labels], /is not a \.npy file/],
    [['prior', '--logits', int16, '--labels', labels], /unsupported dtype '<i2'/],
    [['prior', '--logits', join(tmp, 'missing.npy'), '--labels', labels], /missing\.npy: no such file/],
    [['prior', '--labels', labels], /--logits is required/],
    [['prior', '--logits', logits, '--labels', labels, '--temperature', 'abc'], /--temperature must be a finite number/],
    [['prior', '--logits', logits, '--labels', labels, '--bogus'], /Unknown option '--bogus'/],
    [['evaluate', '--logits', logits, '--labels', twoLabels], /labels has 2 entries but the logits have 60 rows/],
    [['ensemble', '--zeroshot', logits, '--finetuned', small, '--prior', notNpy, '--out', join(tmp, 'x.npy')], /zero-shot logits are 60×4 but fine-tuned logits are 2×2|not valid JSON/],
    [['ensemble', '--zeroshot', logits, '--finetuned', nan, '--prior', notNpy, '--out', join(tmp, 'x.npy')], /fine-tuned logits contains NaN at row 0, column 1/],
    [['evaluate', '--logits', inf, '--labels', twoLabels], /logits contains -Infinity at row 1, column 0/],
    [['nonsense'], /unknown command 'nonsense'/],
  ];
  for (const [args, pattern] of cases) {
    const r = gla(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
