/** Prompt templates: `{}` stands for the class's prompt name. */

/** CLIP's 80 ImageNet templates (Prompt_Engineering_for_ImageNet.ipynb). */
export const IMAGENET_80_TEMPLATES: readonly string[] = [
  'a bad photo of a {}.', 'a photo of many {}.', 'a sculpture of a {}.', 'a photo of the hard to see {}.',
  'a low resolution photo of the {}.', 'a rendering of a {}.', 'graffiti of a {}.', 'a bad photo of the {}.',
  'a cropped photo of the {}.', 'a tattoo of a {}.', 'the embroidered {}.', 'a photo of a hard to see {}.',
  'a bright photo of a {}.', 'a photo of a clean {}.', 'a photo of a dirty {}.', 'a dark photo of the {}.',
  'a drawing of a {}.', 'a photo of my {}.', 'the plastic {}.', 'a photo of the cool {}.',
  'a close-up photo of a {}.', 'a black and white photo of the {}.', 'a painting of the {}.', 'a painting of a {}.',
  'a pixelated photo of the {}.', 'a sculpture of the {}.', 'a bright photo of the {}.', 'a cropped photo of a {}.',
  'a plastic {}.', 'a photo of the dirty {}.', 'a jpeg corrupted photo of a {}.', 'a blurry photo of the {}.',
  'a photo of the {}.', 'a good photo of the {}.', 'a rendering of the {}.', 'a {} in a video game.',
  'a photo of one {}.', 'a doodle of a {}.', 'a close-up photo of the {}.', 'a photo of a {}.',
  'the origami {}.', 'the {} in a video game.', 'a sketch of a {}.', 'a doodle of the {}.',
  'a origami {}.', 'a low resolution photo of a {}.', 'the toy {}.', 'a rendition of the {}.',
  'a photo of the clean {}.', 'a photo of a large {}.', 'a rendition of a {}.', 'a photo of a nice {}.',
  'a photo of a weird {}.', 'a blurry photo of a {}.', 'a cartoon {}.', 'art of a {}.',
  'a sketch of the {}.', 'a embroidered {}.', 'a pixelated photo of a {}.', 'itap of the {}.',
  'a jpeg corrupted photo of the {}.', 'a good photo of a {}.', 'a plushie {}.', 'a photo of the nice {}.',
  'a photo of the small {}.', 'a photo of the weird {}.', 'the cartoon {}.', 'art of the {}.',
  'a drawing of the {}.', 'a photo of the large {}.', 'a black and white photo of a {}.', 'the plushie {}.',
  'a dark photo of a {}.', 'itap of a {}.', 'graffiti of the {}.', 'a toy {}.',
  'itap of my {}.', 'a photo of a cool {}.', 'a photo of a small {}.', 'a tattoo of the {}.',
];

/** The 7-template subset CLIP's authors found nearly as good as all 80, at a tenth of the text-encoding cost. */
export const CLIP_7_TEMPLATES: readonly string[] = [
  'itap of a {}.', 'a bad photo of the {}.', 'a origami {}.', 'a photo of the large {}.',
  'a {} in a video game.', 'art of the {}.', 'a photo of the small {}.',
];

/** Named sets a user can ask for in gla.yaml (`templates: imagenet-80`) or the gla.templates setting. */
export const TEMPLATE_SETS: Readonly<Record<string, readonly string[]>> = {
  'clip-7': CLIP_7_TEMPLATES,
  'imagenet-80': IMAGENET_80_TEMPLATES,
  single: ['a photo of a {}.'],
};

/** The default: the short ensemble keeps text encoding cheap on a laptop CPU. */
export const DEFAULT_TEMPLATES = CLIP_7_TEMPLATES;

/** Expands a set name to its templates; anything else is taken as one template. */
export function expandTemplates(entries: readonly string[]): string[] {
  return entries.flatMap((t) => TEMPLATE_SETS[t] ?? [t]);
}

/** The prompts of one class: every template with `{}` replaced by its name. */
export function classPrompts(name: string, templates: readonly string[]): string[] {
  return templates.map((t) => t.split('{}').join(name));
}
