// CLIP's reference preprocessing (PIL/torchvision: Resize(short side, bicubic) → CenterCrop → ToTensor → Normalize),
// driven by preprocessor_config.json, into float32 CHW tensors.
import { libvips } from './libvips';
import { decodeImage, type DecodeOptions, type RgbImage } from './image-decode';
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
  const image = await decodeImage(input, options);
  await preprocessDecodedInto(image, config, target, offset);
}

/** The preprocessing of an already decoded image (8-bit RGB), into `target` at `offset`. */
export async function preprocessDecodedInto(
  image: RgbImage,
  config: PreprocessorConfig,
  target: Float32Array,
  offset: number,
): Promise<void> {
  const size = config.doResize ? resizedSize(image.width, image.height, config) : { width: image.width, height: image.height };
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
