// Windows BMP decoder (sharp cannot read BMP): core/info/V2-V5 headers, palettes, bitfields, RLE4/RLE8, either row order.
// Output follows PIL's BmpImagePlugin + convert("RGB"), the CLIP reference: alpha is dropped, never composited.
import { checkPixelLimit, DEFAULT_MAX_PIXELS, ImageError } from './image-error';
import type { RgbImage } from './image-decode';

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;

export interface BmpHeader {
  width: number;
  height: number;
  /** Rows stored top row first (negative height in the header); otherwise bottom row first. */
  topDown: boolean;
  bitsPerPixel: number;
  compression: number;
  headerSize: number;
  dataOffset: number;
  /** Colour table as RGB triples (bit depths ≤ 8). */
  palette: Uint8Array;
  paletteSize: number;
  /** Channel masks for 16/24/32-bit pixels, red/green/blue. */
  masks: [number, number, number];
}

/** True when the bytes start like a BMP file. */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d; // "BM"
}

/** Reads the file and DIB headers, the masks and the colour table, checking everything a decoder relies on. */
export function readBmpHeader(bytes: Uint8Array): BmpHeader {
  if (!isBmp(bytes)) throw new ImageError('not-an-image', 'not a BMP file (no "BM" signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 18) throw new ImageError('truncated', 'truncated BMP: the file ends inside its header');
  const headerSize = view.getUint32(14, true);
  const known = headerSize === 12 || headerSize === 40 || headerSize === 52 || headerSize === 56 || headerSize === 64 || headerSize === 108 || headerSize === 124;
  if (!known) throw new ImageError('unsupported', `unsupported BMP header size ${headerSize}`);
  if (bytes.length < 14 + headerSize) throw new ImageError('truncated', 'truncated BMP: the file ends inside its header');
  let dataOffset = view.getUint32(10, true);

  let width: number;
  let height: number;
  let topDown = false;
  let bitsPerPixel: number;
  let compression = BI_RGB;
  let colorsUsed = 0;
  let entrySize = 4;
  let masks: [number, number, number] | undefined;
  let paletteStart = 14 + headerSize;
  if (headerSize === 12) {
    // BITMAPCOREHEADER (OS/2 1.x): 16-bit unsigned sizes, 3-byte palette entries, always bottom-up.
    width = view.getUint16(18, true);
    height = view.getUint16(20, true);
    bitsPerPixel = view.getUint16(24, true);
    entrySize = 3;
  } else {
    width = view.getInt32(18, true);
    const signedHeight = view.getInt32(22, true);
    topDown = signedHeight < 0;
    height = Math.abs(signedHeight);
    bitsPerPixel = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    colorsUsed = view.getUint32(46, true);
    if (headerSize === 64 && compression === BI_BITFIELDS) {
      throw new ImageError('unsupported', 'unsupported BMP compression: OS/2 Huffman 1D');
    }
    if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
      if (headerSize >= 52) {
        masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
      } else {
        // A 40-byte header keeps its masks right after it (3, or 4 with ALPHABITFIELDS).
        const count = compression === BI_ALPHABITFIELDS ? 4 : 3;
        if (bytes.length < 54 + 4 * count) throw new ImageError('truncated', 'truncated BMP: the file ends inside its colour masks');
        masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
        paletteStart += 4 * count;
      }
      // All-zero masks mean "the default layout" (PIL reads them as BGRA).
      if (masks[0] === 0 && masks[1] === 0 && masks[2] === 0) masks = undefined;
    }
  }
  if (compression === BI_JPEG || compression === BI_PNG) {
    throw new ImageError('unsupported', `unsupported BMP compression: embedded ${compression === BI_JPEG ? 'JPEG' : 'PNG'}`);
  }
  if (compression > BI_ALPHABITFIELDS) throw new ImageError('unsupported', `unsupported BMP compression ${compression}`);
  if (![1, 2, 4, 8, 16, 24, 32].includes(bitsPerPixel)) {
    throw new ImageError('unsupported', `unsupported BMP bit depth ${bitsPerPixel}`);
  }
  if ((compression === BI_RLE8 && bitsPerPixel !== 8) || (compression === BI_RLE4 && bitsPerPixel !== 4)) {
    throw new ImageError('corrupt', `corrupt BMP: RLE${compression === BI_RLE8 ? 8 : 4} with ${bitsPerPixel} bits per pixel`);
  }
  if ((compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) && bitsPerPixel <= 8) {
    throw new ImageError('corrupt', `corrupt BMP: bitfields with ${bitsPerPixel} bits per pixel`);
  }
  if (width <= 0 || height <= 0) throw new ImageError('corrupt', `corrupt BMP: size ${width}×${height}`);

  let palette = new Uint8Array(0);
  let paletteSize = 0;
  if (bitsPerPixel <= 8) {
    paletteSize = colorsUsed > 0 && colorsUsed <= 1 << bitsPerPixel ? colorsUsed : 1 << bitsPerPixel;
    // PIL's rule: a data offset that points at the colour table itself means the pixels follow the table.
    if (dataOffset === paletteStart || dataOffset === 0) dataOffset = paletteStart + entrySize * paletteSize;
    // Files often hold fewer entries than the bit depth allows: read what lies before the pixels.
    const room = Math.floor((Math.min(dataOffset, bytes.length) - paletteStart) / entrySize);
    paletteSize = Math.max(0, Math.min(paletteSize, room));
    palette = new Uint8Array(3 << bitsPerPixel); // indices past the table read as black
    for (let i = 0; i < paletteSize; i++) {
      const p = paletteStart + i * entrySize;
      palette[i * 3] = bytes[p + 2];
      palette[i * 3 + 1] = bytes[p + 1];
      palette[i * 3 + 2] = bytes[p];
    }
  } else if (dataOffset === 0) {
    dataOffset = paletteStart;
  }
  const defaultMasks: [number, number, number] =
    bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  return {
    width,
    height,
    topDown,
    bitsPerPixel,
    compression,
    headerSize,
    dataOffset,
    palette,
    paletteSize,
    masks: masks ?? defaultMasks,
  };
}

/** Decodes a BMP file to 8-bit RGB, top row first. Throws ImageError for anything it cannot read. */
export function decodeBmp(bytes: Uint8Array, options: { maxPixels?: number } = {}): RgbImage {
  const header = readBmpHeader(bytes);
  const { width, height } = header;
  checkPixelLimit(width, height, options.maxPixels ?? DEFAULT_MAX_PIXELS, 'BMP');
  if (header.dataOffset >= bytes.length) throw new ImageError('truncated', 'truncated BMP: the file ends before its pixel data');
  const rgb = new Uint8Array(width * height * 3);
  if (header.compression === BI_RLE8 || header.compression === BI_RLE4) {
    const indices = decodeRle(bytes, header);
    for (let row = 0; row < height; row++) {
      const y = header.topDown ? row : height - 1 - row;
      expandIndices(indices.subarray(row * width, (row + 1) * width), header.palette, rgb, y * width * 3);
    }
  } else {
    decodeRows(bytes, header, rgb);
  }
  return { width, height, data: rgb };
}

function expandIndices(indices: Uint8Array, palette: Uint8Array, out: Uint8Array, at: number): void {
  for (let x = 0; x < indices.length; x++) {
    const p = indices[x] * 3;
    out[at++] = palette[p];
    out[at++] = palette[p + 1];
    out[at++] = palette[p + 2];
  }
}

/** Uncompressed and bitfield rows: each row padded to 4 bytes. */
function decodeRows(bytes: Uint8Array, header: BmpHeader, rgb: Uint8Array): void {
  const { width, height, bitsPerPixel: bpp, palette, dataOffset } = header;
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const rowBytes = Math.ceil((bpp * width) / 8);
  // The last row may lack its padding, as some writers do.
  if (dataOffset + stride * (height - 1) + rowBytes > bytes.length) {
    throw new ImageError(
      'truncated',
      `truncated BMP: ${width}×${height} at ${bpp} bits needs ${stride * height} bytes of pixels, the file has ${bytes.length - dataOffset}`,
    );
  }
  const channels = bpp >= 16 ? header.masks.map(maskChannel) : [];
  for (let row = 0; row < height; row++) {
    const y = header.topDown ? row : height - 1 - row;
    let src = dataOffset + row * stride;
    let dst = y * width * 3;
    if (bpp <= 8) {
      const perByte = 8 / bpp;
      const valueMask = (1 << bpp) - 1;
      for (let x = 0; x < width; x++) {
        const byte = bytes[src + Math.floor(x / perByte)];
        const shift = 8 - bpp * ((x % perByte) + 1); // most significant bits hold the leftmost pixel
        const p = ((byte >> shift) & valueMask) * 3;
        rgb[dst++] = palette[p];
        rgb[dst++] = palette[p + 1];
        rgb[dst++] = palette[p + 2];
      }
    } else if (bpp === 24 && isBgr(header.masks)) {
      for (let x = 0; x < width; x++, src += 3) {
        rgb[dst++] = bytes[src + 2];
        rgb[dst++] = bytes[src + 1];
        rgb[dst++] = bytes[src];
      }
    } else {
      const size = bpp / 8;
      const [r, g, b] = channels;
      for (let x = 0; x < width; x++, src += size) {
        const pixel =
          size === 2 ? bytes[src] | (bytes[src + 1] << 8)
          : size === 3 ? bytes[src] | (bytes[src + 1] << 8) | (bytes[src + 2] << 16)
          : (bytes[src] | (bytes[src + 1] << 8) | (bytes[src + 2] << 16) | (bytes[src + 3] << 24)) >>> 0;
        rgb[dst++] = r(pixel);
        rgb[dst++] = g(pixel);
        rgb[dst++] = b(pixel);
      }
    }
  }
}

function isBgr(masks: [number, number, number]): boolean {
  return masks[0] === 0xff0000 && masks[1] === 0x00ff00 && masks[2] === 0x0000ff;
}

/** One channel of a bitfield pixel, widened to 8 bits as PIL does for 5- and 6-bit fields: floor(v × 255 / max). */
function maskChannel(mask: number): (pixel: number) => number {
  if (mask === 0) return () => 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  const max = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  if (bits === 8) return (pixel) => ((pixel & mask) >>> 0) >>> shift;
  return (pixel) => Math.floor(((((pixel & mask) >>> 0) >>> shift) * 255) / max);
}

/**
 * RLE8/RLE4 as a flat stream of palette indices in file row order, as PIL's BmpRleDecoder builds it: pixels skipped by
 * end-of-line or delta codes stay index 0; encoded runs stop at the row end; absolute runs of RLE4 are read whole.
 */
function decodeRle(bytes: Uint8Array, header: BmpHeader): Uint8Array {
  const { width, height, dataOffset } = header;
  const rle4 = header.compression === BI_RLE4;
  const total = width * height;
  const indices = new Uint8Array(total);
  let n = 0; // pixels written (the stream position)
  let x = 0; // column within the row
  let p = dataOffset;
  let ended = false;
  while (n < total) {
    if (p + 1 >= bytes.length) break;
    const count = bytes[p];
    const value = bytes[p + 1];
    p += 2;
    if (count > 0) {
      const run = Math.min(count, Math.max(0, width - x), total - n);
      if (rle4) {
        const hi = value >> 4;
        const lo = value & 0x0f;
        for (let i = 0; i < run; i++) indices[n++] = i % 2 === 0 ? hi : lo;
      } else {
        indices.fill(value, n, n + run);
        n += run;
      }
      x += run;
    } else if (value === 0) {
      // End of line: the rest of the row keeps index 0.
      if (n % width !== 0) n += width - (n % width);
      x = 0;
    } else if (value === 1) {
      ended = true;
      break;
    } else if (value === 2) {
      if (p + 1 >= bytes.length) break;
      const right = bytes[p];
      const up = bytes[p + 1];
      p += 2;
      n += right + up * width;
      x = n % width;
    } else {
      // Absolute mode: `value` literal pixels, padded to a 16-bit boundary.
      const length = rle4 ? Math.ceil(value / 2) : value;
      if (p + length > bytes.length) break;
      for (let i = 0; i < value && n < total; i++) {
        indices[n++] = rle4 ? (i % 2 === 0 ? bytes[p + (i >> 1)] >> 4 : bytes[p + (i >> 1)] & 0x0f) : bytes[p + i];
      }
      p += length + (length % 2);
      x += value;
    }
  }
  if (!ended && n < total) {
    throw new ImageError('truncated', `truncated BMP: the RLE${rle4 ? 4 : 8} data ends after ${n} of ${total} pixels`);
  }
  return indices;
}
