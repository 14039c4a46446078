// Shrink-on-load on 12 MP phone-sized JPEGs against PIL's tensors for them (test/fixtures/photos-12mp/generate.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { cosine } from '../helpers/cosine';
import { generatedFixtures } from '../helpers/paths';
import { parseNpy } from '../../server/src/store/npy';
import { ImageError } from '../../server/src/clip/images/image-error';
import { decodeJpegResized, fastShrinkOnLoadFor, sharpJpegShrink } from '../../server/src/clip/images/jpeg-resize-on-load';
import { preprocessImage } from '../../server/src/clip/images/preprocess';
import { defaultPreprocessorConfig, preprocessingVersion } from '../../server/src/clip/images/preprocessor-config';

const dir = generatedFixtures('photos-12mp');
const refs = JSON.parse(readFileSync(join(dir, 'references.json'), 'utf8')) as {
  minCosine: number;
  images: { file: string; upright: [number, number]; reference: string }[];
};

const reference = (file: string) => parseNpy(readFileSync(join(dir, file)), file).data as Float32Array;

test('the fixture covers plain, EXIF 6 and 8, progressive and CMYK 12 MP JPEGs', () => {
  assert.equal(refs.minCosine, 0.998);
  assert.deepEqual(refs.images.map((i) => i.file).sort(), [
    'photo_12mp_cmyk.jpg', 'photo_12mp_exif6.jpg', 'photo_12mp_exif8.jpg', 'photo_12mp_plain.jpg', 'photo_12mp_progressive.jpg',
  ]);
  for (const image of refs.images) assert.equal(image.upright[0] * image.upright[1], 4032 * 3024);
});

for (const image of refs.images) {
  test(`${image.file}: shrink-on-load and exact decoding both within cosine ${refs.minCosine} of PIL`, async () => {
    const expected = reference(image.reference);
    for (const decode of ['shrink-on-load', 'exact'] as const) {
      const actual = await preprocessImage(join(dir, image.file), { ...defaultPreprocessorConfig(), decode });
      const c = cosine(actual, expected);
      // An EXIF turn applied wrongly (or not at all) puts the crop on other pixels: cosine falls far below this.
      assert.ok(c >= refs.minCosine, `${image.file} (${decode}): cosine ${c} < ${refs.minCosine}`);
    }
  });
}

test('a 12 MP JPEG is decoded at 1/8 and resized in the same call', async () => {
  const file = join(dir, 'photo_12mp_plain.jpg');
  const fused = await decodeJpegResized(readFileSync(file), () => ({ size: { width: 298, height: 224 }, kernel: 'cubic' }), { maxPixels: 1e8, decode: 'shrink-on-load', floor: 1.5 });
  assert.ok(fused);
  assert.deepEqual([fused.width, fused.height], [298, 224]);
  // libvips' own load option names the scale: 1/8 is 504×378, 1.69× the 224 px target; 1/4 would be 1008×756.
  const at = (shrink: number) => sharp(`${file}[shrink=${shrink}]`).resize(298, 224, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false }).raw().toBuffer();
  assert.ok(Buffer.from(fused.data).equals(await at(8)), 'the fused call did not decode at 1/8');
  assert.ok(!Buffer.from(fused.data).equals(await at(4)), 'decoding at 1/4 gives the same pixels: the check above proves nothing');
});

test('exact decoding never lets the decoder scale: a 12 MP JPEG is not fused, a 500×375 one is', () => {
  assert.equal(fastShrinkOnLoadFor(3024 / 224, { decode: 'exact', floor: 1.5 }), undefined);
  assert.equal(fastShrinkOnLoadFor(375 / 224, { decode: 'exact', floor: 1.5 }), false);
  // Shrink-on-load keeps ≥ 1.5× the target: 13.5 → 1/8 (1.69×); 9 → sharp's fast 1/8 would leave 1.125×, so 1/4.
  assert.equal(fastShrinkOnLoadFor(13.5, { decode: 'shrink-on-load', floor: 1.5 }), true);
  assert.equal(fastShrinkOnLoadFor(9, { decode: 'shrink-on-load', floor: 1.5 }), false);
  assert.equal(sharpJpegShrink(9, 2), 4);
  assert.equal(sharpJpegShrink(8.5, 1), 4); // libjpeg's rounding: trunc(shrink) equal to the factor halves it
  assert.equal(sharpJpegShrink(1.9, 1), 1);
});

test('the decode mode is part of the cache key: shrink-on-load and exact embeddings never mix', () => {
  const shrink = preprocessingVersion({ ...defaultPreprocessorConfig(), decode: 'shrink-on-load' });
  const exact = preprocessingVersion({ ...defaultPreprocessorConfig(), decode: 'exact' });
  assert.notEqual(shrink, exact);
  assert.equal(defaultPreprocessorConfig().decode, 'shrink-on-load');
  // Exact decoding keeps the key every run had before shrink-on-load (the same pixels): old caches stay valid.
  assert.equal(exact, 'pp1-9ee04609eb757f10');
});

test('a JPEG whose header claims 30000×30000 is rejected by the pixel limit before any decode', async () => {
  // A real 64×48 JPEG whose SOF0 frame header is patched to 30000×30000: decoding would report truncation instead.
  const small = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c84' } }).jpeg({ quality: 90 }).toBuffer();
  const bomb = Buffer.from(small);
  let p = 2;
  while (!(bomb[p] === 0xff && bomb[p + 1] === 0xc0)) p += 2 + bomb.readUInt16BE(p + 2);
  bomb.writeUInt16BE(30000, p + 5);
  bomb.writeUInt16BE(30000, p + 7);
  assert.equal((await sharp(bomb, { limitInputPixels: false }).metadata()).width, 30000);
  await assert.rejects(preprocessImage(bomb, defaultPreprocessorConfig()), (err: unknown) => {
    assert.ok(err instanceof ImageError, String(err));
    assert.equal(err.reason, 'too-large');
    assert.match(err.message, /30000×30000/);
    return true;
  });
});
