// Any supported image file → upright 8-bit sRGB pixels, alpha dropped the way CLIP's reference (PIL convert("RGB")) does.
import { libvips } from './libvips';
import { FileReadError, readRegularFile } from '../../store/regular-file';
import { decodeBmp } from './bmp';
import { DEFAULT_MAX_PIXELS, ImageError, checkPixelLimit } from './image-error';
import { cmykToRgb, gifTransparentColour, jpegComponentCount } from './pil-compat';

/** 8-bit RGB pixels, interleaved, top row first. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'bmp';

export interface DecodedImage extends RgbImage {
  format: ImageFormat;
  /** The upright size before shrink-on-load, when the decoder scaled the image down (the size PIL would see). */
  fullSize?: { width: number; height: number };
}

export interface DecodeOptions {
  /** Decompression-bomb limit on width × height; default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
  /**
   * Shrink-on-load: given the upright full size, the smallest size the caller can use. A WebP is then decoded at the
   * largest 1/2, 1/4 or 1/8 scale that stays at least that big (libwebp's scaled decoding), instead of every pixel.
   */
  minimumSize?(width: number, height: number): { width: number; height: number };
}

/** The decoder's scale-on-load factors, largest first. */
const SHRINK_FACTORS = [8, 4, 2];

/** The image format by its magic bytes (the file name's extension is never trusted). */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes;
  const at = (offset: number, text: string) => text.split('').every((c, i) => b[offset + i] === c.charCodeAt(0));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && at(1, 'PNG\r\n\x1a\n')) return 'png';
  if (b.length >= 12 && at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (b.length >= 6 && (at(0, 'GIF87a') || at(0, 'GIF89a'))) return 'gif';
  if (b.length >= 4 && ((at(0, 'II') && b[2] === 42 && b[3] === 0) || (at(0, 'MM') && b[2] === 0 && b[3] === 42))) return 'tiff';
  if (b.length >= 18 && b[0] === 0x42 && b[1] === 0x4d && BMP_HEADER_SIZES.includes(b[14] | (b[15] << 8) | (b[16] << 16) | (b[17] << 24))) return 'bmp';
  if (b.length >= 12 && at(4, 'ftyp') && isAvifBrand(b)) return 'avif';
  return undefined;
}

const BMP_HEADER_SIZES = [12, 40, 52, 56, 64, 108, 124];

/** An ISO-BMFF `ftyp` box naming an AVIF brand (major or compatible). */
function isAvifBrand(b: Uint8Array): boolean {
  const boxSize = Math.min(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0, b.length, 256);
  for (let p = 8; p + 4 <= boxSize; p += 4) {
    if (p === 12) continue; // minor version
    const brand = String.fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3]);
    if (brand === 'avif' || brand === 'avis') return true;
  }
  return false;
}

const HEIF_BRANDS = ['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'];

/** Reads and decodes one image; every failure is an ImageError whose message says why, in one line. */
export async function decodeImage(input: string | Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const bytes = typeof input === 'string' ? await readImageFile(input) : input;
  return decodeImageBytes(bytes, options);
}

export async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await readRegularFile(path);
  } catch (err) {
    if (err instanceof FileReadError) throw new ImageError('unreadable', `cannot read file: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found'
      : code === 'EISDIR' ? 'is a folder, not a file'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'ELOOP' ? 'a symbolic link loop'
      : code ?? (err as Error).message;
    throw new ImageError('unreadable', `cannot read file: ${why}`);
  }
}

export async function decodeImageBytes(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.length === 0) throw new ImageError('empty', 'empty file (0 bytes)');
  const format = detectImageFormat(bytes);
  if (!format) throw unknownContent(bytes);
  if (format === 'bmp') return { ...decodeBmp(bytes, { maxPixels }), format };
  return { ...(await decodeWithSharp(bytes, format, maxPixels, options.minimumSize)), format };
}

/** Why bytes are not an image, without quoting them: a file's contents never reach a message or a report. */
function unknownContent(bytes: Uint8Array): ImageError {
  const head = bytes.subarray(0, 16);
  if (head.length >= 12 && String.fromCharCode(...head.subarray(4, 8)) === 'ftyp') {
    const brand = String.fromCharCode(...head.subarray(8, 12));
    if (HEIF_BRANDS.includes(brand)) {
      return new ImageError('unsupported', `unsupported image format: HEIC/HEIF (brand "${brand}"); convert it to JPEG, PNG or AVIF`);
    }
  }
  const text = head.every((c) => c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127));
  return new ImageError('not-an-image', `not an image: unrecognised content (${text ? 'it looks like text' : 'unknown binary data'}); expected JPEG, PNG, WebP, GIF, TIFF, AVIF or BMP`);
}

async function isCmyk(bytes: Uint8Array, format: ImageFormat): Promise<boolean> {
  if (format === 'jpeg') return jpegComponentCount(bytes) === 4;
  if (format === 'tiff') return (await libvips()(bytes).metadata().catch(() => undefined))?.space === 'cmyk';
  return false;
}

type Size = { width: number; height: number };

/**
 * The size to decode at (the upright full size over the largest factor that keeps it at least `minimumSize`) and the
 * full size, or undefined to decode every pixel. A header that cannot be read, or a size over the pixel limit, is left
 * to the full decode to report.
 */
async function shrinkOnLoadSize(bytes: Uint8Array, maxPixels: number, minimumSize: NonNullable<DecodeOptions['minimumSize']>): Promise<{ decoded: Size; full: Size } | undefined> {
  const meta = await libvips()(bytes, { limitInputPixels: false }).metadata().catch(() => undefined);
  if (!meta?.width || !meta.height || meta.width * meta.height > maxPixels) return undefined;
  const turned = (meta.orientation ?? 1) >= 5;
  const width = turned ? meta.height : meta.width;
  const height = turned ? meta.width : meta.height;
  const need = minimumSize(width, height);
  const factor = SHRINK_FACTORS.find((f) => Math.floor(width / f) >= need.width && Math.floor(height / f) >= need.height);
  return factor ? { decoded: { width: Math.ceil(width / factor), height: Math.ceil(height / factor) }, full: { width, height } } : undefined;
}

const PNG_IEND = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82];

/**
 * What a file lacks at its end when it was cut short: JPEG's end-of-image marker (zero padding aside), PNG's IEND
 * chunk (in its last kilobyte: some writers append data), the bytes WebP's RIFF header declares, GIF's trailer; or
 * undefined when it ends whole, or the format has no such end (TIFF, AVIF).
 */
function missingEnd(bytes: Uint8Array, format: ImageFormat): string | undefined {
  const n = bytes.length;
  if (format === 'jpeg') {
    let end = n;
    while (end > 0 && bytes[end - 1] === 0) end--;
    return end >= 2 && bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9 ? undefined : 'end-of-image marker';
  }
  if (format === 'png') {
    for (let p = n - PNG_IEND.length; p >= Math.max(0, n - 1024); p--) if (PNG_IEND.every((b, k) => bytes[p + k] === b)) return undefined;
    return 'IEND chunk';
  }
  if (format === 'webp') {
    const declared = n >= 8 ? (bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24)) >>> 0 : 0;
    return n >= 8 + declared ? undefined : `declared size (${8 + declared} bytes; it has ${n})`;
  }
  if (format === 'gif') return bytes[n - 1] === 0x3b ? undefined : 'trailer';
  return undefined;
}

/** RGBA → RGB with `colour` where alpha is 0 (GIF transparency, which is all or nothing). */
function fillTransparent(rgba: Uint8Array, colour: [number, number, number]): Uint8Array {
  const pixels = rgba.length / 4;
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0, p = 0, o = 0; i < pixels; i++, p += 4, o += 3) {
    const clear = rgba[p + 3] === 0;
    rgb[o] = clear ? colour[0] : rgba[p];
    rgb[o + 1] = clear ? colour[1] : rgba[p + 1];
    rgb[o + 2] = clear ? colour[2] : rgba[p + 2];
  }
  return rgb;
}

const FORMAT_NAMES: Record<ImageFormat, string> = {
  jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF', tiff: 'TIFF', avif: 'AVIF', bmp: 'BMP',
};

/**
 * libvips decode: EXIF orientation applied, embedded ICC profiles converted to sRGB, 16-bit samples shifted to their
 * high byte (as PIL reads 16-bit PNGs), alpha removed without compositing, first frame only. CMYK and the colour under a
 * GIF's transparency follow PIL instead, as CLIP's reference sees them.
 */
async function decodeWithSharp(bytes: Uint8Array, format: ImageFormat, maxPixels: number, minimumSize?: DecodeOptions['minimumSize']): Promise<Omit<DecodedImage, 'format'>> {
  const name = FORMAT_NAMES[format];
  // JPEG shrinks on load in jpeg-resize-on-load.ts, in the same call as its resize; a CMYK JPEG decodes every pixel.
  const scaled = minimumSize && format === 'webp' ? await shrinkOnLoadSize(bytes, maxPixels, minimumSize) : undefined;
  const shrunk = scaled?.decoded;
  const fullSize = scaled ? { fullSize: scaled.full } : {};
  const open = () => {
    const oriented = libvips()(bytes, { failOn: 'error', limitInputPixels: maxPixels, pages: 1 }).autoOrient();
    // An exact multiple of the decoder's scale: libwebp decodes at that scale and libvips resamples nothing further.
    return shrunk ? oriented.resize(shrunk.width, shrunk.height, { fit: 'fill', fastShrinkOnLoad: true, kernel: 'linear' }) : oriented;
  };
  try {
    if (await isCmyk(bytes, format)) {
      const { data, info } = await open().pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
      if (info.channels < 4) throw new ImageError('unsupported', `unsupported ${name}: CMYK decoded to ${info.channels} channels`);
      return { width: info.width, height: info.height, data: cmykToRgb(data, info.channels, info.width * info.height), ...fullSize };
    }
    const keyed = format === 'gif' ? gifTransparentColour(bytes) : undefined;
    const pipeline = keyed ? open().toColourspace('srgb') : open().removeAlpha().toColourspace('srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (keyed && info.channels === 4) return { width: info.width, height: info.height, data: fillTransparent(pixels, keyed) };
    if (info.channels !== 3) throw new ImageError('unsupported', `unsupported ${name}: decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, data: pixels, ...fullSize };
  } catch (err) {
    if (err instanceof ImageError) throw err;
    const message = (err as Error).message ?? String(err);
    if (/exceeds pixel limit/i.test(message)) {
      const meta = await libvips()(bytes, { limitInputPixels: false }).metadata().catch(() => undefined);
      if (meta?.width && meta.height) checkPixelLimit(meta.width, meta.height, maxPixels, name);
      throw new ImageError('too-large', `image too large: ${name} exceeds the limit of ${maxPixels} pixels`);
    }
    const detail = message.split('\n').map((l) => l.trim()).filter(Boolean);
    const last = (detail.filter((l) => !/^source: bad seek/.test(l)).pop() ?? detail.pop() ?? 'decoder error').replace(/:\s*$/, '');
    // A file that stops before its format's end was cut short, whatever libvips said: its message can be lost when
    // another decode fails at the same moment, which leaves "Unknown error".
    const lost = /^unknown error$/i.test(last);
    const end = missingEnd(bytes, format);
    if (end) throw new ImageError('truncated', `truncated ${name}: the file ends before its ${end}${lost ? '' : ` (${last})`}`);
    if (lost) throw new ImageError('corrupt', `corrupt ${name}: the decoder rejected it without saying why`);
    const truncated = /premature end|unexpected end|end of file|truncat|read error|not enough data|short read|bad seek|unable to parse/i.test(message);
    throw new ImageError(truncated ? 'truncated' : 'corrupt', `${truncated ? 'truncated or corrupt' : 'corrupt'} ${name}: ${last}`);
  }
}
