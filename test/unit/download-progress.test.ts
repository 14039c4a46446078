// The `gla model download` progress line: byte and time formats, rate over the network only, ETA, TTY vs log output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DownloadProgressLine, formatBytes, formatDuration } from '../../server/src/cli/download-progress';
import type { ModelDownloadProgress } from '../../server/src/clip/models/model-download';

test('formatBytes and formatDuration', () => {
  const bytes: [number, string][] = [[0, '0 B'], [999, '999 B'], [666.67, '667 B'], [1000, '1.00 kB'], [1500, '1.50 kB'], [351_234_567, '351.2 MB'], [1_710_000_000, '1.71 GB']];
  for (const [n, s] of bytes) assert.equal(formatBytes(n), s, String(n));
  const times: [number, string][] = [[0, '0s'], [59.4, '59s'], [61, '1m01s'], [3600 * 2 + 125, '2h02m'], [Infinity, '?'], [-1, '?']];
  for (const [n, s] of times) assert.equal(formatDuration(n), s, String(n));
});

function event(file: string, fileDone: number, done: number, filesDone = 0): ModelDownloadProgress {
  return { file, fileDone, fileTotal: 1_000_000, done, total: 2_000_000, filesDone, filesTotal: 2 };
}

test('rate counts bytes moved this run, not a resumed .part; ETA follows from it', () => {
  let now = 0;
  const out: string[] = [];
  const line = new DownloadProgressLine((t) => out.push(t), 'clip (fp32)', { tty: true, now: () => now, redrawMs: 0 });
  // Resumed at 500 kB: that first event moves nothing over the network.
  line.update(event('a.onnx', 500_000, 500_000));
  now = 1000;
  line.update(event('a.onnx', 600_000, 600_000));
  now = 2000;
  line.update(event('a.onnx', 700_000, 700_000));
  assert.equal(line.rate(), 100_000);
  const early = new DownloadProgressLine(() => undefined, 'x', { tty: true, now: () => now });
  early.update(event('a.onnx', 0, 0));
  now += 100;
  early.update(event('a.onnx', 50_000, 50_000));
  assert.equal(early.rate(), 0, 'no rate from a tenth of a second');
  assert.equal(
    line.text(),
    'clip (fp32): 700.0 kB / 2.00 MB (35%)  file 1/2 a.onnx  100.0 kB/s  ETA 13s',
  );
  // On a terminal the line is redrawn in place.
  assert.ok(out.every((t) => t.startsWith('\r\x1b[K') && !t.includes('\n')));
  line.note('  a.onnx  1.00 MB  sha256 ok');
  line.finish();
  assert.ok(out.includes('  a.onnx  1.00 MB  sha256 ok\n'));
  assert.equal(out.at(-1), '\r\x1b[K', 'finish clears the line');
});

test('in a log, plain lines at most every logEveryMs', () => {
  let now = 0;
  const out: string[] = [];
  const line = new DownloadProgressLine((t) => out.push(t), 'm', { tty: false, now: () => now, logEveryMs: 5000 });
  for (let i = 0; i <= 100; i++) {
    now = i * 100;
    line.update(event('a.onnx', i * 10_000, i * 10_000));
  }
  // 0 .. 10 s of updates every 100 ms: lines at 0, 5 and 10 s.
  assert.equal(out.length, 3);
  assert.ok(out.every((t) => t.endsWith('\n') && !t.includes('\r')));
  assert.match(out[2], /^m: 1\.00 MB \/ 2\.00 MB \(50%\)  file 1\/2 a\.onnx  100\.0 kB\/s  ETA 10s\n$/);
});
