// Why one image could not be read: a per-file problem that is listed in `failed` while the run goes on.

export type ImageErrorReason =
  | 'empty' // zero bytes
  | 'not-an-image' // the content is no image format we know (e.g. a text file named .jpg)
  | 'unsupported' // a known image format, or a variant of one, that we cannot decode
  | 'truncated' // the file ends before the image data does
  | 'corrupt' // the decoder rejected the data
  | 'too-large' // more pixels than the decompression-bomb limit allows
  | 'unreadable'; // the file system refused (missing, a folder, no permission)

export class ImageError extends Error {
  constructor(readonly reason: ImageErrorReason, message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** The decompression-bomb limit when none is configured: 100 megapixels (300 MB as 8-bit RGB). */
export const DEFAULT_MAX_PIXELS = 100_000_000;

/** Throws the per-file "too large" error when width × height passes the limit; called before any pixel is allocated. */
export function checkPixelLimit(width: number, height: number, maxPixels: number, format: string): void {
  if (width * height > maxPixels) {
    throw new ImageError(
      'too-large',
      `image too large: ${format} of ${width}×${height} = ${megapixels(width * height)} megapixels exceeds the limit of ${megapixels(maxPixels)} megapixels`,
    );
  }
}

function megapixels(pixels: number): string {
  const mp = pixels / 1e6;
  return mp >= 10 ? mp.toFixed(0) : mp >= 1 ? mp.toFixed(1) : mp.toPrecision(2);
}
