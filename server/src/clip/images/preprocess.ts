// CLIP's reference preprocessing (PIL/torchvision: Resize(short side, bicubic) → CenterCrop → ToTensor → Normalize),
// driven by preprocessor_config.json, into float32 CHW tensors.
import { libvips } from './libvips';
import { decodeImageBytes, readImageFile, type DecodedImage, type DecodeOptions, type RgbImage } from './image-decode';
import { DEFAULT_MAX_PIXELS } from './image-error';
import { decodeJpegResized, type JpegResizePlan } from './jpeg-resize-on-load';
import { pilResize, type Region } from './pil-resample';
import { tensorSize, type PreprocessorConfig, type ResampleFilter } from './preprocessor-config';

export type PreprocessOptions = DecodeOptions;

/** Floats in one image's [3,H,W] tensor. */
export function tensorLength(config: PreprocessorConfig): number {
  const { height, width } = tensorSize(config);
  return 3 * height * width;
}

/** Decodes and preprocesses one image into a new [3,H,W] float32 tensor. */
export async function preprocessImage(
  input: string | Uint8Array,
  config: PreprocessorConfig,
  options: PreprocessOptions = {},
): Promise<Float32Array> {
  const out = new Float32Array(tensorLength(config));
  await preprocessInto(input, config, out, 0, options);
  return out;
}

/** Decodes and preprocesses one image into `target[offset … offset + 3·H·W)`, e.g. one slot of an [N,3,H,W] batch. */
export async function preprocessInto(
  input: string | Uint8Array,
  config: PreprocessorConfig,
  target: Float32Array,
  offset: number,
  options: PreprocessOptions = {},
): Promise<void> {
  const length = tensorLength(config); // validates the config before any decoding work
  if (!Number.isInteger(offset) || offset < 0 || offset + length > target.length) {
    throw new RangeError(`preprocessInto: ${length} floats at offset ${offset} do not fit a target of ${target.length}`);
  }
  const bytes = typeof input === 'string' ? await readImageFile(input) : input;
  // A JPEG that libvips can resize as PIL would (a reduction): decoded and resized in one call, at the decoder's scale.
  const resized = await decodeJpegResized(bytes, (width, height) => resizePlan(width, height, config), {
    maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    decode: config.decode,
    floor: SHRINK_ON_LOAD_FLOOR,
  });
  if (resized) {
    writeNormalized(resized, centerCropOf(resized, config), normalizationTable(config), target, offset);
    return;
  }
  const image = await decodeImageBytes(bytes, { ...options, minimumSize: options.minimumSize ?? shrinkOnLoadFloor(config) });
  await preprocessDecodedInto(image, config, target, offset);
}

/**
 * Shrink-on-load keeps the decoded image at least 1.5 × the resize target per side: a 12 MP photo then decodes at
 * 1/8 (378 px for a 224 px target), whose bicubic resize is within cosine 0.9997 of decoding every pixel.
 */
const SHRINK_ON_LOAD_FLOOR = 1.5;

/** The smallest decoded size the resize can start from, for a decoder that scales on load apart from the resize (WebP). */
export function shrinkOnLoadFloor(config: PreprocessorConfig): DecodeOptions['minimumSize'] {
  // PIL's own filters (nearest, box, hamming) pick or weigh exact source pixels: those images decode in full.
  if (config.decode === 'exact' || !config.doResize || !SHARP_KERNELS[config.resample]) return undefined;
  return (width, height) => {
    const target = resizedSize(width, height, config);
    return { width: Math.ceil(SHRINK_ON_LOAD_FLOOR * target.width), height: Math.ceil(SHRINK_ON_LOAD_FLOOR * target.height) };
  };
}

/** The resize libvips does as PIL does (a reduction with a kernel both have), for an upright image of this size. */
function resizePlan(width: number, height: number, config: PreprocessorConfig): JpegResizePlan | undefined {
  const kernel = SHARP_KERNELS[config.resample];
  if (!config.doResize || !kernel) return undefined;
  const size = resizedSize(width, height, config);
  if (size.width > width || size.height > height || (size.width === width && size.height === height)) return undefined;
  return { size, kernel };
}

/** The crop, relative to the resized image, or all of it when the config does not crop. */
function centerCropOf(resized: RgbImage, config: PreprocessorConfig): CropBox {
  return config.doCenterCrop ? centerCropBox(resized.width, resized.height, config.cropSize) : { left: 0, top: 0, ...tensorSize(config) };
}

/** The preprocessing of an already decoded image (8-bit RGB), into `target` at `offset`. */
export async function preprocessDecodedInto(
  image: RgbImage & Pick<DecodedImage, 'fullSize'>,
  config: PreprocessorConfig,
  target: Float32Array,
  offset: number,
): Promise<void> {
  // After shrink-on-load the resize target still comes from the full size, as the reference computes it.
  const full = image.fullSize ?? image;
  const size = config.doResize ? resizedSize(full.width, full.height, config) : { width: image.width, height: image.height };
  const { height, width } = tensorSize(config);
  const crop = config.doCenterCrop ? centerCropBox(size.width, size.height, config.cropSize) : { left: 0, top: 0, width, height };
  // Only the part of the resized image that the crop keeps is computed.
  const left = Math.max(0, crop.left);
  const top = Math.max(0, crop.top);
  const visible = {
    left,
    top,
    width: Math.min(size.width, crop.left + crop.width) - left,
    height: Math.min(size.height, crop.top + crop.height) - top,
  };
  const resized = await resizeImage(image, size, config.resample, visible);
  const table = normalizationTable(config);
  writeNormalized(resized, { left: crop.left - left, top: crop.top - top, width: crop.width, height: crop.height }, table, target, offset);
}

/**
 * The size `Resize` produces: the short side becomes shortest_edge and the long side int(size · long / short), as both
 * torchvision and transformers compute it (capped by longest_edge where given); or the config's exact size.
 */
export function resizedSize(width: number, height: number, config: PreprocessorConfig): { width: number; height: number } {
  const spec = config.size;
  if (spec.kind === 'exact') return { width: spec.width, height: spec.height };
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  let newShort = spec.shortestEdge;
  let newLong = Math.trunc((spec.shortestEdge * long) / short);
  if (spec.longestEdge !== undefined && newLong > spec.longestEdge) {
    newShort = Math.trunc((spec.longestEdge * newShort) / newLong);
    newLong = spec.longestEdge;
  }
  return width <= height ? { width: newShort, height: newLong } : { width: newLong, height: newShort };
}

/** libvips kernels that match PIL's filters when shrinking (PIL convolves with the filter widened by the scale, as libvips' reduce does). */
const SHARP_KERNELS: Partial<Record<ResampleFilter, 'cubic' | 'linear' | 'lanczos3'>> = {
  bicubic: 'cubic',
  bilinear: 'linear',
  lanczos: 'lanczos3',
};

/**
 * Resizes with PIL's semantics and returns `region` of the result. Shrinking goes through libvips (native, about
 * PIL's result: cosine ≥ 0.9998); enlarging and the filters libvips lacks go through an exact port of PIL, since
 * libvips enlarges by interpolation, which differs from PIL at every pixel.
 */
export async function resizeImage(
  image: RgbImage,
  size: { width: number; height: number },
  filter: ResampleFilter,
  region: Region = { left: 0, top: 0, width: size.width, height: size.height },
): Promise<RgbImage> {
  const { width, height } = size;
  const kernel = SHARP_KERNELS[filter];
  const same = width === image.width && height === image.height;
  if (same || !kernel || width > image.width || height > image.height) return pilResize(image, width, height, filter, region);
  const whole = region.left === 0 && region.top === 0 && region.width === width && region.height === height;
  let pipeline = libvips()(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
    limitInputPixels: false, // the decoder already applied the pixel limit
  }).resize(width, height, { fit: 'fill', kernel });
  if (!whole) pipeline = pipeline.extract(region);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * torchvision's CenterCrop: offset int(round((size − crop) / 2)) with Python's round-half-to-even; an image smaller
 * than the crop is padded with zeros first, (crop − size) // 2 before it. Negative offsets mean padding.
 */
export function centerCropBox(width: number, height: number, crop: { width: number; height: number }): CropBox {
  const offset = (size: number, want: number) => (want > size ? -Math.floor((want - size) / 2) : roundHalfEven((size - want) / 2));
  return { left: offset(width, crop.width), top: offset(height, crop.height), width: crop.width, height: crop.height };
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Value of each 8-bit level per channel after ToTensor and Normalize, with torch's float32 steps:
 * fround(fround(v / 255) − mean) / std, each step rounded to float32.
 */
export function normalizationTable(config: PreprocessorConfig): Float32Array {
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(config.imageMean[c]);
    const std = Math.fround(config.imageStd[c]);
    for (let v = 0; v < 256; v++) {
      let x = v;
      if (config.doRescale) x = config.rescaleFactor === 1 / 255 ? Math.fround(v / 255) : Math.fround(v * config.rescaleFactor);
      if (config.doNormalize) x = Math.fround(Math.fround(x - mean) / std);
      table[c * 256 + v] = x;
    }
  }
  return table;
}

/** Crops `image` to `crop` (zero pixels outside it) and writes the table's values in CHW order at `offset`. */
export function writeNormalized(image: RgbImage, crop: CropBox, table: Float32Array, target: Float32Array, offset: number): void {
  const { width: w, height: h, data } = image;
  const plane = crop.width * crop.height;
  for (let c = 0; c < 3; c++) {
    const base = c * 256;
    const zero = table[base];
    let o = offset + c * plane;
    for (let y = 0; y < crop.height; y++) {
      const sy = crop.top + y;
      if (sy < 0 || sy >= h) {
        target.fill(zero, o, o + crop.width);
        o += crop.width;
        continue;
      }
      let p = (sy * w + crop.left) * 3 + c;
      for (let x = 0; x < crop.width; x++, p += 3) {
        const sx = crop.left + x;
        target[o++] = sx < 0 || sx >= w ? zero : table[base + data[p]];
      }
    }
  }
}
