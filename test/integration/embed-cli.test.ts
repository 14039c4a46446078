import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosine } from '../helpers/cosine';
import { cliPath, generatedFixtures } from '../helpers/paths';
import { parseNpy } from '../../server/src/store/npy';

const images = generatedFixtures('images');
const models = generatedFixtures('models');
const manifest = JSON.parse(readFileSync(join(images, 'manifest.json'), 'utf8')) as {
  images: { file: string; refs: { default: { file: string } } }[];
  corrupt: { file: string; reasons: string[] }[];
};

function gla(env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

function readEmbeddings(prefix: string) {
  const npy = parseNpy(readFileSync(`${prefix}.npy`));
  const json = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as { model: string; dim: number; paths: string[]; failed: { path: string; error: string }[]; cached: number; computed: number };
  return { data: npy.data as Float32Array, shape: npy.shape, json };
}

test('through an identity model, every format (BMP included) matches the PIL/torchvision reference tensors', () => {
  const cache = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const prefix = join(mkdtempSync(join(tmpdir(), 'gla-embed-')), 'identity');
  const files = manifest.images.map((i) => join(images, i.file));
  const r = gla({ GLA_CACHE_DIR: cache }, 'embed', '--model', join(models, 'identity'), ...files, '--out', prefix, '--batch-size', '8');
  assert.equal(r.status, 0, r.stderr);
  const { data, shape, json } = readEmbeddings(prefix);
  assert.deepEqual(shape, [files.length, 3 * 224 * 224]);
  assert.deepEqual(json.paths, files);
  assert.deepEqual(json.failed, []);
  const formats = new Set<string>();
  manifest.images.forEach((image, k) => {
    const ref = parseNpy(readFileSync(join(images, image.refs.default.file))).data as Float32Array;
    const row = data.subarray(k * shape[1], (k + 1) * shape[1]);
    const cos = cosine(row, ref);
    assert.ok(cos >= 0.998, `${image.file}: cosine ${cos}`);
    formats.add(image.file.split('.').pop()!);
  });
  for (const f of ['jpg', 'png', 'webp', 'gif', 'tif', 'avif', 'bmp']) assert.ok(formats.has(f), `covers .${f}`);
});

test('12 MP photos through the identity model: shrink-on-load by default, --exact-decode on request, cached apart', () => {
  const photos = generatedFixtures('photos-12mp');
  const refs = JSON.parse(readFileSync(join(photos, 'references.json'), 'utf8')) as { minCosine: number; images: { file: string; reference: string }[] };
  const cache = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const out = mkdtempSync(join(tmpdir(), 'gla-embed-'));
  const files = refs.images.map((i) => join(photos, i.file));
  const run = (name: string, ...extra: string[]) => {
    const r = gla({ GLA_CACHE_DIR: cache }, 'embed', '--model', join(models, 'identity'), ...files, '--out', join(out, name), ...extra);
    assert.equal(r.status, 0, r.stderr);
    return readEmbeddings(join(out, name));
  };
  const shrunk = run('shrunk');
  const exact = run('exact', '--exact-decode');
  const again = run('again');
  assert.deepEqual([shrunk.json, exact.json, again.json].map((j) => (j as unknown as { decode: string }).decode), ['shrink-on-load', 'exact', 'shrink-on-load']);
  // Each mode has its own cache entries: the exact run computed every photo again; the repeat came from the cache.
  assert.deepEqual([shrunk.json.computed, exact.json.computed, again.json.cached], [files.length, files.length, files.length]);
  let differ = 0;
  refs.images.forEach((image, k) => {
    const ref = parseNpy(readFileSync(join(photos, image.reference))).data as Float32Array;
    const row = (e: typeof shrunk) => e.data.subarray(k * e.shape[1], (k + 1) * e.shape[1]);
    for (const [mode, e] of [['shrink-on-load', shrunk], ['exact', exact]] as const) {
      const cos = cosine(row(e), ref);
      assert.ok(cos >= refs.minCosine, `${image.file} (${mode}): cosine ${cos} < ${refs.minCosine}`);
    }
    if (row(shrunk).some((v, i) => v !== row(exact)[i])) differ++;
  });
  // The CMYK photo decodes every pixel in both modes; the four others were decoded at 1/8.
  assert.equal(differ, files.length - 1);
});

test('a folder embeds deterministically; the second run comes from the cache and is identical', () => {
  const cache = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const dir = mkdtempSync(join(tmpdir(), 'gla-embed-'));
  const args = ['embed', '--model', join(models, 'tiny-clip'), join(images, 'images'), join(images, 'corrupt')];
  const first = gla({ GLA_CACHE_DIR: cache }, ...args, '--out', join(dir, 'a'));
  assert.equal(first.status, 0, first.stderr);
  const second = gla({ GLA_CACHE_DIR: cache }, ...args, '--out', join(dir, 'b'));
  assert.equal(second.status, 0, second.stderr);
  const a = readEmbeddings(join(dir, 'a'));
  const b = readEmbeddings(join(dir, 'b'));
  assert.equal(a.json.computed, a.json.paths.length);
  assert.equal(b.json.cached, b.json.paths.length);
  assert.equal(b.json.computed, 0);
  assert.deepEqual(Buffer.from(readFileSync(join(dir, 'a.npy'))), Buffer.from(readFileSync(join(dir, 'b.npy'))));
  // Corrupt files are listed with their reasons; everything else was embedded.
  const failedNames = a.json.failed.map((f) => f.path.split('/').pop()).sort();
  const corruptNames = manifest.corrupt.map((c) => c.file.split('/').pop()).sort();
  assert.deepEqual(failedNames, corruptNames);
  for (const f of a.json.failed) assert.ok(f.error.length > 5 && !/\n/.test(f.error), f.error);
  assert.equal(a.json.paths.length, readdirSync(join(images, 'images')).length);
  assert.equal(a.shape[1], 32);
});

test('a damaged cache entry is detected and recomputed', () => {
  const cache = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const dir = mkdtempSync(join(tmpdir(), 'gla-embed-'));
  const src = join(dir, 'imgs');
  cpSync(join(images, 'images'), src, { recursive: true });
  const args = ['embed', '--model', join(models, 'tiny-clip'), src];
  assert.equal(gla({ GLA_CACHE_DIR: cache }, ...args, '--out', join(dir, 'a')).status, 0);
  // Flip a byte in every cached entry's payload.
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  const entries = walk(join(cache, 'embeddings')).filter((f) => f.endsWith('.emb'));
  assert.ok(entries.length > 0);
  for (const e of entries) {
    const bytes = readFileSync(e);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(e, bytes);
  }
  const r = gla({ GLA_CACHE_DIR: cache }, ...args, '--out', join(dir, 'b'));
  assert.equal(r.status, 0, r.stderr);
  const b = readEmbeddings(join(dir, 'b'));
  assert.equal(b.json.cached, 0);
  assert.deepEqual(Buffer.from(readFileSync(join(dir, 'a.npy'))), Buffer.from(readFileSync(join(dir, 'b.npy'))));
});

test('bad models and arguments give one clear line', () => {
  const cache = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const out = join(mkdtempSync(join(tmpdir(), 'gla-embed-')), 'x');
  const image = join(images, manifest.images[0].file);
  const cases: [string[], RegExp][] = [
    [['embed', '--model', join(models, 'broken-input-name'), image, '--out', out], /pixel_values/],
    [['embed', '--model', join(models, 'broken-output-name'), image, '--out', out], /image_embeds/],
    [['embed', '--model', join(models, 'tiny-clip'), join(images, 'nope'), '--out', out], /nope: no such file or folder/],
    [['embed', '--model', join(models, 'tiny-clip'), image], /--out is required/],
    [['embed', '--model', join(models, 'tiny-clip'), join(images, 'corrupt', 'empty.jpg'), '--out', out], /none of the 1 images could be read/],
  ];
  for (const [args, pattern] of cases) {
    const r = gla({ GLA_CACHE_DIR: cache }, ...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
