// Where libvips and PIL (CLIP's reference decoder) disagree on an image's colours, the header facts and PIL's arithmetic
// needed to give PIL's answer.

/** Components in a JPEG's frame header (4 = CMYK/YCCK), or undefined when no frame header precedes the scan. */
export function jpegComponentCount(bytes: Uint8Array): number | undefined {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return undefined;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    const length = (bytes[p + 2] << 8) | bytes[p + 3];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return p + 9 < bytes.length ? bytes[p + 9] : undefined;
    p += 2 + length;
  }
  return undefined;
}

/**
 * PIL's CMYK → RGB (Convert.c cmyk2rgb), which CLIP's reference applies with no colour management:
 * channel = (255 − k) − (c · (255 − k)) / 255 with PIL's rounded integer division. `cmyk` has `channels` values a pixel.
 */
export function cmykToRgb(cmyk: Uint8Array, channels: number, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  const muldiv255 = (a: number, b: number) => {
    const t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  };
  for (let i = 0, p = 0, o = 0; i < pixels; i++, p += channels) {
    const nk = 255 - cmyk[p + 3];
    rgb[o++] = Math.max(0, nk - muldiv255(cmyk[p], nk));
    rgb[o++] = Math.max(0, nk - muldiv255(cmyk[p + 1], nk));
    rgb[o++] = Math.max(0, nk - muldiv255(cmyk[p + 2], nk));
  }
  return rgb;
}

/**
 * The palette colour under a GIF's transparent index in its first frame. PIL's convert("RGB") shows that colour where
 * the frame is transparent, whereas libvips yields (0, 0, 0, 0) there.
 */
export function gifTransparentColour(bytes: Uint8Array): [number, number, number] | undefined {
  if (bytes.length < 13) return undefined;
  const screen = bytes[10];
  let p = 13;
  let global: number | undefined;
  if (screen & 0x80) {
    global = p;
    p += 3 << ((screen & 7) + 1);
  }
  const globalSize = screen & 0x80 ? 1 << ((screen & 7) + 1) : 0;
  let transparent: number | undefined;
  while (p < bytes.length) {
    const block = bytes[p];
    if (block === 0x21) {
      const label = bytes[p + 1];
      if (label === 0xf9 && bytes[p + 2] === 4 && p + 6 < bytes.length) {
        transparent = bytes[p + 3] & 1 ? bytes[p + 6] : undefined;
      }
      p += 2;
      while (p < bytes.length && bytes[p] !== 0) p += bytes[p] + 1; // data sub-blocks
      p++;
    } else if (block === 0x2c) {
      if (transparent === undefined || p + 10 > bytes.length) return undefined;
      const packed = bytes[p + 9];
      const hasLocal = (packed & 0x80) !== 0;
      const table = hasLocal ? p + 10 : global;
      const size = hasLocal ? 1 << ((packed & 7) + 1) : globalSize;
      if (table === undefined || transparent >= size) return [0, 0, 0];
      const c = table + transparent * 3;
      return c + 2 < bytes.length ? [bytes[c], bytes[c + 1], bytes[c + 2]] : undefined;
    } else {
      return undefined; // trailer or garbage before the first frame
    }
  }
  return undefined;
}
