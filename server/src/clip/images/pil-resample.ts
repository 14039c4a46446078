// PIL's Image.resize for 8-bit RGB, bit for bit (Pillow's Resample.c and Geometry.c): the exact reference for the
// cases libvips computes differently, namely enlarging (libvips interpolates instead of convolving) and box/hamming/nearest.
import type { RgbImage } from './image-decode';
import type { ResampleFilter } from './preprocessor-config';

interface Filter {
  support: number;
  weight: (x: number) => number;
}

const HAMMING_A = Math.fround(0.54); // float constants in Resample.c
const HAMMING_B = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
}

const FILTERS: Record<Exclude<ResampleFilter, 'nearest'>, Filter> = {
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: { support: 1, weight: (x) => (x < 0 ? (x > -1 ? 1 + x : 0) : x < 1 ? 1 - x : 0) },
  hamming: {
    support: 1,
    weight: (x) => {
      x = Math.abs(x);
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      return (Math.sin(x) / x) * (HAMMING_A + HAMMING_B * Math.cos(x));
    },
  },
  bicubic: {
    support: 2,
    weight: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Per output index: first input index, tap count, and fixed-point weights (precompute_coeffs + normalize_coeffs_8bpc). */
interface Coefficients {
  ksize: number;
  start: Int32Array;
  count: Int32Array;
  weights: Int32Array;
}

/** Coefficients for output indices [first, first + length) of a resize from inSize to outSize. */
function coefficients(inSize: number, outSize: number, filter: Filter, first: number, length: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(length);
  const count = new Int32Array(length);
  const weights = new Int32Array(length * ksize);
  const k = new Float64Array(ksize);
  for (let i = 0; i < length; i++) {
    const xx = first + i;
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterScale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[i * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[i] = xmin;
    count[i] = Math.max(0, xmax);
  }
  return { ksize, start, count, weights };
}

function clip8(sum: number): number {
  if (sum >= ONE * 256) return 255;
  if (sum <= 0) return 0;
  return Math.floor(sum / ONE);
}

/** A rectangle of the resized image: only these output pixels are computed. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Resizes 8-bit RGB exactly as PIL's `Image.resize((width, height), filter)` does for an RGB image, computing only
 * `region` of the result (each output pixel depends only on its own coefficients, so a region is exact too).
 */
export function pilResize(
  src: RgbImage,
  width: number,
  height: number,
  filter: ResampleFilter,
  region: Region = { left: 0, top: 0, width, height },
): RgbImage {
  if (width === src.width && height === src.height) return extractRegion(src, region);
  if (filter === 'nearest') return nearest(src, width, height, region);
  const f = FILTERS[filter];
  // Two passes, horizontal first, with an 8-bit image between them (ImagingResampleInner).
  const cx = width !== src.width ? coefficients(src.width, width, f, region.left, region.width) : undefined;
  const cy = height !== src.height ? coefficients(src.height, height, f, region.top, region.height) : undefined;
  // Input rows the vertical pass reads (all region rows when there is no vertical pass).
  const firstRow = cy ? cy.start[0] : region.top;
  const lastRow = cy ? Math.max(...Array.from(cy.start, (s, i) => s + cy.count[i])) : region.top + region.height;
  let image = cx
    ? horizontal(src, cx, firstRow, lastRow)
    : extractRegion(src, { left: region.left, top: firstRow, width: region.width, height: lastRow - firstRow });
  if (cy) image = vertical(image, cy, firstRow);
  return image;
}

function extractRegion(src: RgbImage, r: Region): RgbImage {
  if (r.left === 0 && r.top === 0 && r.width === src.width && r.height === src.height) return src;
  const out = new Uint8Array(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) {
    const from = ((r.top + y) * src.width + r.left) * 3;
    out.set(src.data.subarray(from, from + r.width * 3), y * r.width * 3);
  }
  return { width: r.width, height: r.height, data: out };
}

/** Horizontal pass over input rows [firstRow, lastRow). */
function horizontal(src: RgbImage, c: Coefficients, firstRow: number, lastRow: number): RgbImage {
  const width = c.start.length;
  const rows = lastRow - firstRow;
  const out = new Uint8Array(width * rows * 3);
  const { ksize, start, count, weights } = c;
  const inRow = src.width * 3;
  const data = src.data;
  for (let y = 0; y < rows; y++) {
    const rowIn = (firstRow + y) * inRow;
    let o = y * width * 3;
    for (let xx = 0; xx < width; xx++) {
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      let p = rowIn + start[xx] * 3;
      const kBase = xx * ksize;
      for (let x = 0, n = count[xx]; x < n; x++, p += 3) {
        const w = weights[kBase + x];
        s0 += data[p] * w;
        s1 += data[p + 1] * w;
        s2 += data[p + 2] * w;
      }
      out[o++] = clip8(s0);
      out[o++] = clip8(s1);
      out[o++] = clip8(s2);
    }
  }
  return { width, height: rows, data: out };
}

/** Vertical pass; `src` row 0 is input row `firstRow`. */
function vertical(src: RgbImage, c: Coefficients, firstRow: number): RgbImage {
  const height = c.start.length;
  const rowLength = src.width * 3;
  const out = new Uint8Array(rowLength * height);
  const { ksize, start, count, weights } = c;
  const data = src.data;
  for (let yy = 0; yy < height; yy++) {
    const kBase = yy * ksize;
    const first = start[yy] - firstRow;
    const n = count[yy];
    const o = yy * rowLength;
    for (let i = 0; i < rowLength; i++) {
      let s = HALF;
      let p = first * rowLength + i;
      for (let y = 0; y < n; y++, p += rowLength) s += data[p] * weights[kBase + y];
      out[o + i] = clip8(s);
    }
  }
  return { width: src.width, height, data: out };
}

/** PIL's NEAREST resize: ImagingScaleAffine, sampling at pixel centres with positions accumulated as PIL does. */
function nearest(src: RgbImage, width: number, height: number, region: Region): RgbImage {
  const ax = src.width / width;
  const ay = src.height / height;
  const xin = new Int32Array(width);
  let xo = ax * 0.5;
  for (let x = 0; x < width; x++, xo += ax) xin[x] = Math.min(src.width - 1, Math.trunc(xo));
  const yin = new Int32Array(height);
  let yo = ay * 0.5;
  for (let y = 0; y < height; y++, yo += ay) yin[y] = Math.min(src.height - 1, Math.trunc(yo));
  const out = new Uint8Array(region.width * region.height * 3);
  let o = 0;
  for (let y = region.top; y < region.top + region.height; y++) {
    const row = yin[y] * src.width * 3;
    for (let x = region.left; x < region.left + region.width; x++) {
      const p = row + xin[x] * 3;
      out[o++] = src.data[p];
      out[o++] = src.data[p + 1];
      out[o++] = src.data[p + 2];
    }
  }
  return { width: region.width, height: region.height, data: out };
}
