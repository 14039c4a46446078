// CLIP preprocessing against the reference tensors of PIL/torchvision (test/fixtures/images/generate.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedFixtures } from '../helpers/paths';
import { parseNpy } from '../../server/src/store/npy';
import { UserError } from '../../server/src/errors';
import { decodeImage, detectImageFormat } from '../../server/src/clip/images/image-decode';
import { ImageError } from '../../server/src/clip/images/image-error';
import {
  centerCropBox,
  preprocessImage,
  preprocessInto,
  resizedSize,
  tensorLength,
} from '../../server/src/clip/images/preprocess';
import {
  OPENAI_CLIP_PREPROCESSING,
  defaultPreprocessorConfig,
  loadPreprocessorConfig,
  parsePreprocessorConfig,
  preprocessingVersion,
  tensorSize,
  type PreprocessorConfig,
} from '../../server/src/clip/images/preprocessor-config';

const dir = generatedFixtures('images');

interface RefEntry { file: string; shape: number[]; resized: [number, number]; beforeEncoding?: string }
interface ImageEntry { file: string; format: string; width: number; height: number; lossless: boolean; reference: string; refs: Record<string, RefEntry> }
interface Manifest {
  configs: Record<string, { dir: string; shape: number[]; resample: number }>;
  images: ImageEntry[];
  corrupt: { file: string; reasons: string[]; why: string }[];
}

function loadManifest(): Manifest {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run fixtures\` (or node scripts/fixtures.mjs images)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Manifest;
}
const manifest = loadManifest();

function readTensor(file: string): Float32Array {
  const npy = parseNpy(readFileSync(join(dir, file)), file);
  assert.equal(npy.dtype, 'float32');
  return npy.data as Float32Array;
}

function compare(actual: Float32Array, expected: Float32Array) {
  assert.equal(actual.length, expected.length);
  let dot = 0, na = 0, nb = 0, maxAbs = 0, sumAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], b = expected[i];
    dot += a * b;
    na += a * a;
    nb += b * b;
    const d = Math.abs(a - b);
    if (d > maxAbs) maxAbs = d;
    sumAbs += d;
  }
  return { cosine: dot / Math.sqrt(na * nb), maxAbs, meanAbs: sumAbs / expected.length };
}

/** Resizes our code does with its exact PIL port (enlarging, PIL-only filters, none) rather than libvips. */
function exactResize(image: ImageEntry, ref: RefEntry, resample: number): boolean {
  const [w, h] = ref.resized;
  const pilOnlyFilter = resample === 0 || resample === 4 || resample === 5;
  return pilOnlyFilter || w > image.width || h > image.height || (w === image.width && h === image.height);
}

const configs = new Map<string, PreprocessorConfig>();

test('configs load from the generated folders', async () => {
  for (const [name, c] of Object.entries(manifest.configs)) {
    const config = await loadPreprocessorConfig(join(dir, c.dir));
    const { height, width } = tensorSize(config);
    assert.deepEqual([3, height, width], c.shape, name);
    configs.set(name, config);
  }
  assert.deepEqual(configs.get('default'), defaultPreprocessorConfig());
});

for (const image of manifest.images) {
  test(`matches the PIL/torchvision reference: ${image.file}`, async () => {
    for (const [configName, ref] of Object.entries(image.refs)) {
      const loaded = configs.get(configName) ?? (await loadPreprocessorConfig(join(dir, manifest.configs[configName].dir)));
      const expected = readTensor(ref.file);
      // Exact decoding: every pixel, as PIL decodes it, so the tight tolerances below hold.
      const actual = await preprocessImage(join(dir, image.file), { ...loaded, decode: 'exact' });
      assert.equal(actual.length, ref.shape.reduce((a, b) => a * b, 1));
      const { cosine, maxAbs, meanAbs } = compare(actual, expected);
      const where = `${image.file} under ${configName} (${image.reference})`;
      assert.ok(cosine >= 0.998, `cosine ${cosine} < 0.998 for ${where}`);
      if (image.lossless && exactResize(image, ref, manifest.configs[configName].resample)) {
        // Lossless decode + PIL-exact resampling + torch's float32 steps: equal up to float rounding.
        assert.ok(maxAbs <= 1e-6, `max |diff| ${maxAbs} > 1e-6 for ${where}`);
      } else {
        // libvips' resize or a lossy decoder: on average within one 8-bit level of the reference.
        assert.ok(meanAbs <= 0.01, `mean |diff| ${meanAbs} > 0.01 for ${where}`);
      }
      if (ref.beforeEncoding) {
        // The lossy AVIF's reference comes from libheif's pixels; the image before encoding must still be close.
        const source = compare(actual, readTensor(ref.beforeEncoding));
        assert.ok(source.cosine >= 0.995, `cosine vs the image before encoding ${source.cosine} < 0.995`);
      }
      // Shrink-on-load (the default): a JPEG or WebP reduced ≥ 3× decodes at 1/2 … 1/8, within cosine 0.998 of PIL.
      const shrunk = compare(await preprocessImage(join(dir, image.file), { ...loaded, decode: 'shrink-on-load' }), expected);
      assert.ok(shrunk.cosine >= 0.998, `shrink-on-load: cosine ${shrunk.cosine} < 0.998 for ${where}`);
      assert.ok(shrunk.meanAbs <= 0.03, `shrink-on-load: mean |diff| ${shrunk.meanAbs} > 0.03 for ${where}`);
      if (!['jpeg', 'webp'].includes(image.format)) assert.deepEqual(shrunk, { cosine, maxAbs, meanAbs }, `only JPEG and WebP shrink on load: ${where}`);
    }
  });
}

test('cosine range per format (default config)', async (t) => {
  // Computed here rather than collected from the tests above, so this test also runs alone.
  const config = await loadPreprocessorConfig(join(dir, manifest.configs.default.dir));
  const cosineByFormat = new Map<string, number[]>();
  for (const image of manifest.images) {
    const ref = image.refs.default;
    if (!ref) continue;
    const { cosine } = compare(await preprocessImage(join(dir, image.file), config), readTensor(ref.file));
    cosineByFormat.set(image.format, [...(cosineByFormat.get(image.format) ?? []), cosine]);
  }
  assert.ok(cosineByFormat.size >= 7, `formats seen: ${[...cosineByFormat.keys()].join(', ')}`);
  for (const [format, list] of [...cosineByFormat].sort()) {
    t.diagnostic(`${format}: ${list.length} files, cosine ${Math.min(...list).toFixed(6)} … ${Math.max(...list).toFixed(6)}`);
    assert.ok(Math.min(...list) >= 0.998, `${format}: cosine ${Math.min(...list)} < 0.998`);
  }
});

test('corrupt, truncated, non-image and oversized files fail with their reason', async () => {
  const config = defaultPreprocessorConfig();
  for (const bad of manifest.corrupt) {
    await assert.rejects(preprocessImage(join(dir, bad.file), config), (err: unknown) => {
      assert.ok(err instanceof ImageError, `${bad.file}: ${String(err)}`);
      assert.ok(bad.reasons.includes(err.reason), `${bad.file} (${bad.why}): reason ${err.reason}, expected ${bad.reasons.join(' or ')}`);
      assert.ok(err.message.length > 10 && !err.message.includes('\n'), `${bad.file}: message "${err.message}"`);
      return true;
    });
  }
});

test('the pixel limit is configurable and names the size', async () => {
  const config = defaultPreprocessorConfig();
  for (const file of ['images/png_rgb_500x375.png', 'images/jpeg_photo_500x375.jpg', 'images/bmp_24_500x375.bmp']) {
    await assert.rejects(preprocessImage(join(dir, file), config, { maxPixels: 500 * 375 - 1 }), (err: unknown) => {
      assert.ok(err instanceof ImageError && err.reason === 'too-large', String(err));
      assert.match(err.message, /500×375/);
      return true;
    });
    const ok = await preprocessImage(join(dir, file), config, { maxPixels: 500 * 375 });
    assert.equal(ok.length, tensorLength(config));
  }
});

test('unreadable paths fail per file', async () => {
  const config = defaultPreprocessorConfig();
  for (const path of [join(dir, 'images', 'no-such-file.jpg'), join(dir, 'images')]) {
    await assert.rejects(preprocessImage(path, config), (err: unknown) => err instanceof ImageError && err.reason === 'unreadable');
  }
});

test('the format comes from the content, not the extension', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gla-pp-'));
  try {
    const png = join(dir, 'images', 'png_rgb_500x375.png');
    const disguised = join(tmp, 'photo.jpg');
    copyFileSync(png, disguised);
    const bytes = readFileSync(png);
    assert.equal(detectImageFormat(bytes), 'png');
    const config = defaultPreprocessorConfig();
    const [a, b, c] = await Promise.all([preprocessImage(png, config), preprocessImage(disguised, config), preprocessImage(bytes, config)]);
    assert.deepEqual(b, a);
    assert.deepEqual(c, a);
    assert.equal((await decodeImage(disguised)).format, 'png');
    writeFileSync(join(tmp, 'bmp.png'), readFileSync(join(dir, 'images', 'bmp_24_500x375.bmp')));
    assert.equal((await decodeImage(join(tmp, 'bmp.png'))).format, 'bmp');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('preprocessInto fills one slot of a batch and nothing else', async () => {
  const config = defaultPreprocessorConfig();
  const n = tensorLength(config);
  const batch = new Float32Array(3 * n).fill(Number.NaN);
  const file = join(dir, 'images', 'webp_lossy_500x375.webp');
  await preprocessInto(file, config, batch, n);
  assert.ok(batch.subarray(0, n).every(Number.isNaN));
  assert.ok(batch.subarray(2 * n).every(Number.isNaN));
  assert.deepEqual(batch.subarray(n, 2 * n), await preprocessImage(file, config));
  await assert.rejects(preprocessInto(file, config, batch, 2 * n + 1), RangeError);
});

test('resize and crop geometry follow torchvision', () => {
  const config = defaultPreprocessorConfig();
  const table: [number, number, number, number][] = [
    [500, 375, 298, 224],
    [375, 500, 224, 298],
    [1600, 1067, 335, 224],
    [224, 224, 224, 224],
    [31, 17, 408, 224],
    [900, 200, 1008, 224],
  ];
  for (const [w, h, ew, eh] of table) assert.deepEqual(resizedSize(w, h, config), { width: ew, height: eh }, `${w}×${h}`);
  const capped: PreprocessorConfig = { ...config, size: { kind: 'shortest-edge', shortestEdge: 224, longestEdge: 400 } };
  assert.deepEqual(resizedSize(900, 200, capped), { width: 400, height: 88 });
  const exact: PreprocessorConfig = { ...config, size: { kind: 'exact', height: 96, width: 128 } };
  assert.deepEqual(resizedSize(31, 500, exact), { width: 128, height: 96 });
  // int(round(x / 2)) with Python's round-half-to-even.
  assert.deepEqual(centerCropBox(335, 224, { width: 224, height: 224 }), { left: 56, top: 0, width: 224, height: 224 });
  assert.deepEqual(centerCropBox(333, 224, { width: 224, height: 224 }), { left: 54, top: 0, width: 224, height: 224 });
  assert.deepEqual(centerCropBox(298, 224, { width: 224, height: 224 }), { left: 37, top: 0, width: 224, height: 224 });
  // Smaller than the crop: zero padding, (crop − size) // 2 before the image.
  assert.deepEqual(centerCropBox(53, 40, { width: 48, height: 48 }), { left: 2, top: -4, width: 48, height: 48 });
  assert.deepEqual(centerCropBox(40, 45, { width: 48, height: 48 }), { left: -4, top: -1, width: 48, height: 48 });
});

// ---- preprocessor_config.json parsing

const parseTable: { name: string; json: unknown; expect: Partial<PreprocessorConfig> }[] = [
  { name: 'empty object: OpenAI CLIP defaults', json: {}, expect: OPENAI_CLIP_PREPROCESSING },
  {
    name: 'old CLIPFeatureExtractor form',
    json: { feature_extractor_type: 'CLIPFeatureExtractor', size: 224, crop_size: 224, resample: 3, do_center_crop: true },
    expect: { size: { kind: 'shortest-edge', shortestEdge: 224 }, cropSize: { height: 224, width: 224 }, resample: 'bicubic' },
  },
  { name: 'old form without crop_size crops to size', json: { size: 256 }, expect: { cropSize: { height: 256, width: 256 } } },
  {
    name: 'new CLIPImageProcessor form',
    json: { size: { shortest_edge: 336 }, crop_size: { height: 336, width: 300 }, resample: 2, do_convert_rgb: true },
    expect: { size: { kind: 'shortest-edge', shortestEdge: 336 }, cropSize: { height: 336, width: 300 }, resample: 'bilinear' },
  },
  {
    name: 'exact height and width, no crop',
    json: { size: { height: 384, width: 320 }, do_center_crop: false, resample: 1 },
    expect: { size: { kind: 'exact', height: 384, width: 320 }, doCenterCrop: false, resample: 'lanczos' },
  },
  {
    name: 'shortest and longest edge',
    json: { size: { shortest_edge: 256, longest_edge: 512 } },
    expect: { size: { kind: 'shortest-edge', shortestEdge: 256, longestEdge: 512 } },
  },
  { name: 'resample 0 is nearest', json: { resample: 0 }, expect: { resample: 'nearest' } },
  { name: 'resample 4 is box, 5 hamming', json: { resample: 5 }, expect: { resample: 'hamming' } },
  { name: 'one mean for all channels', json: { image_mean: 0.5, image_std: [0.5, 0.5, 0.5] }, expect: { imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5] } },
  {
    name: 'flags and rescale factor',
    json: { do_rescale: false, rescale_factor: 0.5, do_normalize: false, do_convert_rgb: false, do_resize: false },
    expect: { doRescale: false, rescaleFactor: 0.5, doNormalize: false, doConvertRgb: false, doResize: false },
  },
  { name: 'nulls mean defaults', json: { size: null, image_mean: null }, expect: { size: { kind: 'shortest-edge', shortestEdge: 224 } } },
];

for (const row of parseTable) {
  test(`parsePreprocessorConfig: ${row.name}`, () => {
    const config = parsePreprocessorConfig(row.json);
    for (const [key, value] of Object.entries(row.expect)) {
      assert.deepEqual(config[key as keyof PreprocessorConfig], value, key);
    }
  });
}

const errorTable: { json: unknown; field: RegExp }[] = [
  { json: [], field: /top level/ },
  { json: { size: 'big' }, field: /size must be/ },
  { json: { size: { longest_edge: 3 } }, field: /size must have shortest_edge/ },
  { json: { size: { height: 224 } }, field: /size\.width must be a positive integer/ },
  { json: { size: 0 }, field: /size must be a positive integer/ },
  { json: { crop_size: -3 }, field: /crop_size must be a positive integer/ },
  { json: { crop_size: 'x' }, field: /crop_size must be/ },
  { json: { resample: 9 }, field: /resample must be a PIL filter code/ },
  { json: { resample: 'bicubic' }, field: /resample/ },
  { json: { image_mean: [1, 2] }, field: /image_mean must be a list of 3 numbers/ },
  { json: { image_std: [0, 1, 1] }, field: /image_std must be positive/ },
  { json: { rescale_factor: -1 }, field: /rescale_factor/ },
  { json: { do_resize: 'yes' }, field: /do_resize must be true or false/ },
  { json: { do_center_crop: false }, field: /do_center_crop is false/ },
];

for (const row of errorTable) {
  test(`parsePreprocessorConfig rejects ${JSON.stringify(row.json)}`, () => {
    assert.throws(
      () => parsePreprocessorConfig(row.json, 'model/preprocessor_config.json'),
      (err: unknown) => err instanceof UserError && err.message.startsWith('model/preprocessor_config.json: ') && row.field.test(err.message),
    );
  });
}

test('loadPreprocessorConfig: absent file, malformed JSON, bad field', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'gla-ppcfg-'));
  try {
    assert.deepEqual(await loadPreprocessorConfig(tmp), defaultPreprocessorConfig());
    const file = join(tmp, 'preprocessor_config.json');
    writeFileSync(file, '{"size": 224,');
    await assert.rejects(loadPreprocessorConfig(tmp), (err: unknown) => err instanceof UserError && err.message.startsWith(`${file}: not valid JSON`));
    writeFileSync(file, JSON.stringify({ image_std: [1, 1] }));
    await assert.rejects(loadPreprocessorConfig(tmp), (err: unknown) => err instanceof UserError && err.message.includes(file) && err.message.includes('image_std'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('preprocessingVersion changes with every field that changes the output, and only with those', () => {
  const base = defaultPreprocessorConfig();
  const version = preprocessingVersion(base);
  assert.match(version, /^pp\d+-[0-9a-f]{16}$/);
  assert.equal(preprocessingVersion(parsePreprocessorConfig({ size: 224, crop_size: 224, resample: 3 })), version);
  assert.equal(preprocessingVersion({ ...base, doConvertRgb: false }), version);
  const changed: PreprocessorConfig[] = [
    { ...base, size: { kind: 'shortest-edge', shortestEdge: 256 } },
    { ...base, size: { kind: 'shortest-edge', shortestEdge: 224, longestEdge: 300 } },
    { ...base, size: { kind: 'exact', height: 224, width: 224 } },
    { ...base, doResize: false },
    { ...base, resample: 'bilinear' },
    { ...base, cropSize: { height: 224, width: 200 } },
    { ...base, doCenterCrop: false, size: { kind: 'exact', height: 224, width: 224 } },
    { ...base, rescaleFactor: 1 / 256 },
    { ...base, doRescale: false },
    { ...base, imageMean: [0.5, 0.4578275, 0.40821073] },
    { ...base, imageStd: [0.26862954, 0.26130258, 0.3] },
    { ...base, doNormalize: false },
  ];
  const seen = new Set([version]);
  for (const c of changed) {
    const v = preprocessingVersion(c);
    assert.ok(!seen.has(v), `version did not change for ${JSON.stringify(c)}`);
    seen.add(v);
  }
  // Fields with no effect leave the key alone: the crop size when cropping is off.
  const noCrop: PreprocessorConfig = { ...base, doCenterCrop: false, size: { kind: 'exact', height: 224, width: 224 } };
  assert.equal(preprocessingVersion({ ...noCrop, cropSize: { height: 1, width: 1 } }), preprocessingVersion(noCrop));
});
