// The one importer of sharp (libvips). It loads on first use, so a thread that never decodes never loads it.
import type SharpModule from 'sharp';

export type Sharp = typeof SharpModule;

let loaded: Sharp | undefined;

/** sharp, loaded the first time an image is decoded or resized. */
export function libvips(): Sharp {
  loaded ??= require('sharp') as Sharp;
  return loaded;
}

/** The decoder's identity, for records of files it could not decode: another libvips may read them. */
export function decoderVersion(): string {
  return `libvips ${libvips().versions.vips}`;
}

/** A decode worker runs one libvips thread and no operation cache: the pool's threads are the parallelism. */
export function configureForDecodeWorker(): void {
  libvips().concurrency(1);
  libvips().cache(false);
}
