// A JPEG decoded and resized in one libvips call: libjpeg scales by 1/2, 1/4 or 1/8 while it decodes (shrink-on-load),
// libvips' reduce finishes the resize, and a 12 MP photo's full-size pixels never exist.
import type { RgbImage } from './image-decode';
import { libvips } from './libvips';
import { jpegComponentCount } from './pil-compat';

export interface JpegResizePlan {
  /** The resize target of the upright full-size image, as the reference computes it from the full size. */
  size: { width: number; height: number };
  kernel: 'cubic' | 'linear' | 'lanczos3';
}

export interface JpegResizeOptions {
  maxPixels: number;
  /** Let the decoder scale down ('shrink-on-load'), or decode every pixel as PIL does ('exact'). */
  decode: 'shrink-on-load' | 'exact';
  /** The decoded image's least size over the resize target, per side (1.5 keeps ≥ 2 source pixels per output pixel on average). */
  floor: number;
}

/**
 * libjpeg's scale-on-load factor that sharp chooses for a resize by `shrink` (sharp's pipeline.cc): the largest of
 * 8, 4, 2 with shrink ≥ margin × factor (margin 1 with fastShrinkOnLoad, 2 without), halved where trunc(shrink)
 * equals it (libjpeg's rounding).
 */
export function sharpJpegShrink(shrink: number, margin: 1 | 2): number {
  let factor = [8, 4, 2].find((f) => shrink >= margin * f) ?? 1;
  if (factor > 1 && Math.trunc(shrink) === factor) factor /= 2;
  return factor;
}

/**
 * The sharp flag that makes libjpeg decode at the largest scale keeping `floor` × the target, or undefined when no
 * single call can (exact decoding of a large reduction: the caller decodes every pixel, then resizes).
 */
export function fastShrinkOnLoadFor(shrink: number, options: Pick<JpegResizeOptions, 'decode' | 'floor'>): boolean | undefined {
  if (options.decode === 'exact') return sharpJpegShrink(shrink, 2) === 1 ? false : undefined;
  return shrink / sharpJpegShrink(shrink, 1) >= options.floor;
}

/**
 * The upright image resized to `plan(upright size).size`, or undefined where this path does not apply: not a JPEG, a
 * CMYK JPEG (PIL's inversion is applied on the full path), over the pixel limit (the full path rejects it before any
 * decode), no plan (enlarging, or a filter libvips lacks), or any decoder error (the full path reports it).
 */
export async function decodeJpegResized(
  bytes: Uint8Array,
  plan: (width: number, height: number) => JpegResizePlan | undefined,
  options: JpegResizeOptions,
): Promise<RgbImage | undefined> {
  if (!(bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)) return undefined;
  if (jpegComponentCount(bytes) === 4) return undefined;
  try {
    const meta = await libvips()(bytes, { limitInputPixels: false }).metadata();
    if (!meta.width || !meta.height || meta.width * meta.height > options.maxPixels) return undefined;
    const turned = (meta.orientation ?? 1) >= 5;
    const width = turned ? meta.height : meta.width;
    const height = turned ? meta.width : meta.height;
    const resize = plan(width, height);
    if (!resize || resize.size.width > width || resize.size.height > height) return undefined;
    const shrink = Math.min(width / resize.size.width, height / resize.size.height);
    const fastShrinkOnLoad = fastShrinkOnLoadFor(shrink, options);
    if (fastShrinkOnLoad === undefined) return undefined;
    // No extract here: with autoOrient, sharp would then orient before resizing and skip shrink-on-load.
    const { data, info } = await libvips()(bytes, { failOn: 'error', limitInputPixels: options.maxPixels, pages: 1 })
      .autoOrient()
      .resize(resize.size.width, resize.size.height, { fit: 'fill', kernel: resize.kernel, fastShrinkOnLoad })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== resize.size.width || info.height !== resize.size.height) return undefined;
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch {
    return undefined;
  }
}
