// The exported folder's preprocessor_config.json: the vision tower's own file with every field that shapes the
// tensor spelled out, because a classifier folder is read without CLIP's defaults (finetuned/classifier-folder.ts),
// and so are other tools' image processors.
import type { PreprocessorConfig, ResampleFilter } from '../../clip/images/preprocessor-config';

/** PIL's filter codes, as preprocessor_config.json's `resample` writes them. */
const PIL_CODES: readonly ResampleFilter[] = ['nearest', 'lanczos', 'bilinear', 'bicubic', 'box', 'hamming'];

export function preprocessorJson(raw: Record<string, unknown>, c: PreprocessorConfig): Record<string, unknown> {
  const size = c.size.kind === 'exact' ? { height: c.size.height, width: c.size.width } : { shortest_edge: c.size.shortestEdge, ...(c.size.longestEdge ? { longest_edge: c.size.longestEdge } : {}) };
  return {
    ...raw,
    do_resize: c.doResize,
    size,
    resample: PIL_CODES.indexOf(c.resample),
    do_center_crop: c.doCenterCrop,
    crop_size: { height: c.cropSize.height, width: c.cropSize.width },
    do_rescale: c.doRescale,
    rescale_factor: c.rescaleFactor,
    do_normalize: c.doNormalize,
    image_mean: [...c.imageMean],
    image_std: [...c.imageStd],
    do_convert_rgb: true,
  };
}
