// The one importer of sharp (libvips). It loads on first use, so a thread that never decodes never loads it.
import type SharpModule from 'sharp';

export type Sharp = typeof SharpModule;

let loaded: Sharp | undefined;

/** sharp, loaded the first time an image is decoded or resized. */
export function libvips(): Sharp {
  loaded ??= require('sharp') as Sharp;
  return loaded;
}

/** Bumped whenever image-decode.ts classifies or words a failure differently. */
const FAILURE_WORDING = 2;

/** The decoder's identity, for records of files it could not decode: another libvips may read them, or say why better. */
export function decoderVersion(): string {
  return `libvips ${libvips().versions.vips}; failures v${FAILURE_WORDING}`;
}

/** A decode worker runs one libvips thread and no operation cache: the pool's threads are the parallelism. */
export function configureForDecodeWorker(): void {
  libvips().concurrency(1);
  libvips().cache(false);
}
