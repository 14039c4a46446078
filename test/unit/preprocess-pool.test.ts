// The worker-thread pool over real files, good and bad: same tensors as in-thread, reasons for the failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { generatedFixtures } from '../helpers/paths';
import { CancelledError, UserError } from '../../server/src/errors';
import { preprocessImage, tensorLength } from '../../server/src/clip/images/preprocess';
import { PreprocessPool, defaultPoolSize } from '../../server/src/clip/images/preprocess-pool';
import { defaultPreprocessorConfig, loadPreprocessorConfig, type PreprocessorConfig } from '../../server/src/clip/images/preprocessor-config';

const dir = generatedFixtures('images');
const manifestFile = join(dir, 'manifest.json');
if (!existsSync(manifestFile)) throw new Error(`${manifestFile} is missing: run \`npm run fixtures\``);
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
  images: { file: string }[];
  corrupt: { file: string; reasons: string[] }[];
  configs: Record<string, { dir: string }>;
};
const good = manifest.images.map((i) => join(dir, i.file));
const bad = manifest.corrupt.map((c) => ({ path: join(dir, c.file), reasons: c.reasons }));

test('default size is min(4, cores)', () => {
  assert.ok(defaultPoolSize() >= 1 && defaultPoolSize() <= 4);
});

test('good files come back identical to the in-thread function, bad ones carry reasons, order kept', async () => {
  const config = defaultPreprocessorConfig();
  const pool = new PreprocessPool({ workers: 2 });
  try {
    // Interleave bad files between good ones so failures land on both workers.
    const paths: string[] = [];
    const badAt = new Map<number, string[]>();
    good.forEach((p, i) => {
      paths.push(p);
      if (i % 5 === 0 && bad[i / 5]) {
        badAt.set(paths.length, bad[i / 5].reasons);
        paths.push(bad[i / 5].path);
      }
    });
    assert.equal(badAt.size, bad.length);
    const results = await pool.preprocess(paths, config);
    assert.equal(results.length, paths.length);
    for (let i = 0; i < paths.length; i++) {
      const r = results[i];
      if (badAt.has(i)) {
        assert.equal(r.ok, false, paths[i]);
        if (!r.ok) {
          assert.ok(badAt.get(i)!.includes(r.reason!), `${paths[i]}: ${r.reason} ${r.error}`);
          assert.ok(r.error.length > 10, r.error);
        }
      } else {
        assert.ok(r.ok, `${paths[i]}: ${!r.ok && r.error}`);
        if (r.ok) assert.deepEqual(r.pixels, await preprocessImage(paths[i], config), paths[i]);
      }
    }
    // The workers survived every failure: the same pool still works, with another config.
    const small = await loadPreprocessorConfig(join(dir, manifest.configs['small-bilinear'].dir));
    const again = await pool.preprocess(good.slice(0, 6), small);
    for (let i = 0; i < 6; i++) {
      const r = again[i];
      assert.ok(r.ok);
      if (r.ok) assert.deepEqual(r.pixels, await preprocessImage(good[i], small));
    }
  } finally {
    await pool.close();
  }
});

test('preprocessInto writes straight into a shared [N,3,H,W] batch', async () => {
  const config = defaultPreprocessorConfig();
  const n = tensorLength(config);
  const paths = [good[0], bad[0].path, good[1], good[2]];
  const batch = new Float32Array(new SharedArrayBuffer(4 * n * (paths.length + 1))).fill(Number.NaN);
  const pool = new PreprocessPool({ workers: 2 });
  try {
    const results = await pool.preprocessInto(paths, config, batch, 1);
    assert.deepEqual(results.map((r) => r.ok), [true, false, true, true]);
    assert.ok(batch.subarray(0, n).every(Number.isNaN), 'slot 0 untouched');
    for (const i of [0, 2, 3]) {
      assert.deepEqual(batch.subarray((i + 1) * n, (i + 2) * n), await preprocessImage(paths[i], config), paths[i]);
    }
    await assert.rejects(pool.preprocessInto(paths, config, new Float32Array(4 * n)), TypeError);
    await assert.rejects(pool.preprocessInto(paths, config, batch, 2), RangeError);
  } finally {
    await pool.close();
  }
});

test('a worker that dies mid-batch is replaced and its files retried', async () => {
  const config = defaultPreprocessorConfig();
  const pool = new PreprocessPool({ workers: 2 });
  try {
    const paths = good.slice(0, 10);
    const running = pool.preprocess(paths, config);
    // Kill a real worker thread while it holds work (reaching into the pool: no public way to crash one).
    const slots = (pool as unknown as { slots: { worker: Worker; inFlight: Set<unknown> }[] }).slots;
    assert.ok(slots[0].inFlight.size > 0);
    await slots[0].worker.terminate();
    const results = await running;
    results.forEach((r, i) => assert.ok(r.ok, `${paths[i]}: ${!r.ok && r.error}`));
    assert.deepEqual((results[0] as { pixels: Float32Array }).pixels, await preprocessImage(paths[0], config));
  } finally {
    await pool.close();
  }
});

test('pool options: pixel limit, cancellation, a config without a fixed size, close', async () => {
  const config = defaultPreprocessorConfig();
  const pool = new PreprocessPool({ workers: 1, maxPixels: 1000 });
  const [r] = await pool.preprocess([good[0]], config);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.reason, 'too-large');

  await assert.rejects(pool.preprocess(good.slice(0, 3), config, { signal: AbortSignal.abort() }), CancelledError);
  // Aborted mid-batch: the call stops dispatching and rejects once the files in flight are back.
  const controller = new AbortController();
  const running = pool.preprocess(good.slice(0, 8), config, { signal: controller.signal });
  controller.abort();
  await assert.rejects(running, CancelledError);

  const unsized: PreprocessorConfig = { ...config, doCenterCrop: false };
  await assert.rejects(pool.preprocess([good[0]], unsized), UserError);

  await pool.close();
  await assert.rejects(pool.preprocess([good[0]], config), /closed/);
});

test('a missing or failing worker script is reported, not respawned forever', async () => {
  assert.throws(() => new PreprocessPool({ workerPath: join(dir, 'no-such-worker.js') }), /worker script is missing/);
  const tmp = mkdtempSync(join(tmpdir(), 'gla-pool-'));
  const script = join(tmp, 'broken-worker.js');
  writeFileSync(script, "throw new Error('boom at start');\n");
  const pool = new PreprocessPool({ workers: 2, workerPath: script });
  try {
    const results = await pool.preprocess(good.slice(0, 3), defaultPreprocessorConfig());
    for (const r of results) {
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, /boom at start/);
    }
  } finally {
    await pool.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('files cut short are "truncated" by their structure, with a reason, even when decoded side by side', async () => {
  // libvips keeps one error buffer per process: a decode failing beside another can lose its message ("Unknown
  // error"). The end each format must have (JPEG's EOI, PNG's IEND, WebP's declared size) decides instead.
  const pool = new PreprocessPool({ workers: 2, perWorker: 2 });
  try {
    const cut = ['truncated.jpg', 'truncated.png', 'truncated.webp', 'garbage.png'].map((f) => join(generatedFixtures('images'), 'corrupt', f));
    const results = await pool.preprocess([...cut, ...cut, ...cut], defaultPreprocessorConfig());
    for (const [k, r] of results.entries()) {
      assert.equal(r.ok, false);
      if (r.ok) continue;
      assert.equal(r.reason, 'truncated', `${cut[k % cut.length]}: ${r.error}`);
      assert.match(r.error, /^truncated (JPEG|PNG|WebP): the file ends before its (end-of-image marker|IEND chunk|declared size)/);
      assert.doesNotMatch(r.error, /unknown error/i);
    }
  } finally {
    await pool.close();
  }
});
