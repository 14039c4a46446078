// The BMP decoder against the pixels PIL reads (or, for variants PIL 9.4 cannot read, the pixels written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFixtures } from '../helpers/paths';
import { decodeBmp, readBmpHeader } from '../../server/src/clip/images/bmp';
import { decodeImage } from '../../server/src/clip/images/image-decode';
import { ImageError, type ImageErrorReason } from '../../server/src/clip/images/image-error';

const dir = generatedFixtures('images');
const manifestFile = join(dir, 'manifest.json');
if (!existsSync(manifestFile)) throw new Error(`${manifestFile} is missing: run \`npm run fixtures\``);
const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
  bmp: { file: string; expected: string; width: number; height: number; expectedFrom: string }[];
};

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `byte ${i} (pixel ${Math.floor(i / 3)}, channel ${i % 3}): ${a[i]} vs ${b[i]}`;
  }
  return `lengths ${a.length} vs ${b.length}`;
}

test('the fixture set covers every header, depth and compression', () => {
  const names = manifest.bmp.map((v) => v.file);
  for (const part of ['core_24', 'core_8bit', 'core_1bit', 'info_1bit', 'info_4bit', 'info_8bit', 'info_16_555', 'info_16_565_bitfields',
    'info_24', 'info_24_topdown', 'info_32_bgrx', 'info_32_bitfields', 'v4_32_bgra', 'v5_32_rgba_topdown', 'info_rle8', 'info_rle4']) {
    assert.ok(names.some((n) => n.endsWith(`/${part}.bmp`)), part);
  }
});

for (const variant of manifest.bmp) {
  test(`decodes ${variant.file} exactly (${variant.expectedFrom})`, async () => {
    const bytes = readFileSync(join(dir, variant.file));
    const expected = readFileSync(join(dir, variant.expected));
    const image = decodeBmp(bytes);
    assert.equal(image.width, variant.width);
    assert.equal(image.height, variant.height);
    assert.ok(Buffer.from(image.data).equals(expected), firstDifference(image.data, expected));
    // The same through format detection.
    const viaDetect = await decodeImage(bytes);
    assert.equal(viaDetect.format, 'bmp');
    assert.ok(Buffer.from(viaDetect.data).equals(expected));
  });
}

function variant(name: string): Buffer {
  return Buffer.from(readFileSync(join(dir, 'bmp', `${name}.bmp`)));
}

function rejectsWith(bytes: Uint8Array, reason: ImageErrorReason, message: RegExp, maxPixels?: number): void {
  assert.throws(
    () => decodeBmp(bytes, maxPixels === undefined ? {} : { maxPixels }),
    (err: unknown) => err instanceof ImageError && err.reason === reason && message.test(err.message),
  );
}

test('headers: sizes, row order and palette', () => {
  const top = readBmpHeader(variant('info_24_topdown'));
  assert.equal(top.topDown, true);
  assert.equal(top.height, 21);
  const core = readBmpHeader(variant('core_8bit'));
  assert.equal(core.headerSize, 12);
  assert.equal(core.paletteSize, 256);
  const used = readBmpHeader(variant('info_8bit_used20'));
  assert.equal(used.paletteSize, 20);
  assert.deepEqual(readBmpHeader(variant('info_16_565_bitfields')).masks, [0xf800, 0x07e0, 0x001f]);
});

test('broken BMPs fail with a reason', () => {
  const v24 = variant('info_24');
  rejectsWith(v24.subarray(0, v24.length - 200), 'truncated', /truncated BMP/);
  rejectsWith(v24.subarray(0, 30), 'truncated', /header/);
  rejectsWith(v24, 'too-large', /37×21/, 37 * 21 - 1);

  const rle = variant('info_rle8');
  rejectsWith(rle.subarray(0, rle.length - 40), 'truncated', /RLE8 data ends/);

  const oddHeader = Buffer.from(v24);
  oddHeader.writeUInt32LE(20, 14);
  rejectsWith(oddHeader, 'unsupported', /header size 20/);

  const jpeg = Buffer.from(v24);
  jpeg.writeUInt32LE(4, 30);
  rejectsWith(jpeg, 'unsupported', /embedded JPEG/);

  const depth = Buffer.from(v24);
  depth.writeUInt16LE(7, 28);
  rejectsWith(depth, 'unsupported', /bit depth 7/);

  const noWidth = Buffer.from(v24);
  noWidth.writeInt32LE(0, 18);
  rejectsWith(noWidth, 'corrupt', /size 0×21/);

  const huge = Buffer.from(v24);
  huge.writeInt32LE(100000, 18);
  huge.writeInt32LE(100000, 22);
  rejectsWith(huge, 'too-large', /100000×100000/);
});

test('alpha is dropped, not composited', () => {
  // v4_32_bgra stores random alpha over the colours; the expected pixels are the colours as written.
  const image = decodeBmp(variant('v4_32_bgra'));
  const plain = decodeBmp(variant('info_24'));
  assert.ok(Buffer.from(image.data).equals(Buffer.from(plain.data)));
});
