// Writes the sample dataset used by the README's main command: coloured shapes in class folders, with a
// long-tailed train split, two planted label errors and one truncated file, and inside it (so that it works wherever
// it is copied or opened) a copy of the tiny fixture CLIP and of a fine-tuned classifier, under shapes/models/.
// No network: shapes are drawn as SVG and rendered by sharp. Deterministic (seeded). Usage: node scripts/make-samples.mjs [OUT]
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { COLOURS, seededRandom, shapeSvg } from './shapes-svg.mjs';

const out = process.argv[2] ?? 'samples';
const tinyClip = 'test/fixtures/generated/models/tiny-clip';
// A fine-tuned classifier of the same eight classes (not CLIP: its own 128 px preprocessing), for --finetuned.
const classifier = 'test/fixtures/generated/finetuned/shapes-classifier';
if (!existsSync(tinyClip) || !existsSync(classifier)) {
  console.error('make-samples: run `npm run fixtures` first (the sample uses the tiny fixture CLIP)');
  process.exit(1);
}

// Two shapes per colour for red and blue: zero-shot names colours well but shapes near chance, a bias GLA corrects.
const CLASSES = [
  ['red', 'circle'], ['red', 'square'], ['blue', 'circle'], ['blue', 'triangle'],
  ['green', 'triangle'], ['yellow', 'star'], ['orange', 'square'], ['purple', 'circle'],
];
// Long-tailed train split: the head classes have 8× the images of the tail.
const TRAIN = [40, 32, 26, 20, 14, 10, 7, 5];
const VAL = 6;
const TEST = 12;

const random = seededRandom(20231201);

const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
const root = join(tmp, 'shapes');
const planted = [];
let count = 0;
for (const [c, [colour, shape]] of CLASSES.entries()) {
  const name = `${colour}_${shape}`;
  for (const [split, n] of [['train', TRAIN[c]], ['val', VAL], ['test', TEST]]) {
    const dir = join(root, split, name);
    mkdirSync(dir, { recursive: true });
    for (let k = 0; k < n; k++) {
      // Two planted label errors in train: a purple circle filed as a red circle, a yellow star as a green triangle.
      let [drawColour, drawShape] = [colour, shape];
      if (split === 'train' && name === 'red_circle' && k === 3) [drawColour, drawShape] = ['purple', 'circle'];
      if (split === 'train' && name === 'green_triangle' && k === 2) [drawColour, drawShape] = ['yellow', 'star'];
      const file = join(dir, `${name}_${String(k).padStart(3, '0')}.png`);
      if (drawColour !== colour || drawShape !== shape) planted.push(`${split}/${name}/${name}_${String(k).padStart(3, '0')}.png`);
      await sharp(Buffer.from(shapeSvg(drawShape, COLOURS[drawColour], random))).png().toFile(file);
      count++;
    }
  }
}
// One truncated file: reported in `failed`, and the run goes on.
const good = await sharp(Buffer.from(shapeSvg('square', COLOURS.orange, random))).png().toBuffer();
writeFileSync(join(root, 'test', 'orange_square', 'orange_square_broken.png'), good.subarray(0, Math.floor(good.length / 2)));

const yaml = [
  '# Sample dataset for GLA Studio: coloured shapes, long-tailed train split.',
  '# The model folder sits inside the sample, so the sample works wherever it is copied or opened.',
  'model: models/tiny-clip',
  'classes:',
  ...CLASSES.map(([colour, shape]) => `  - folder: ${colour}_${shape}\n    prompt: ${colour} ${shape}`),
  'templates: ["a photo of a {}.", "a drawing of a {}.", "a {} shape."]',
  '',
].join('\n');
writeFileSync(join(root, 'gla.yaml'), yaml);
writeFileSync(join(root, 'PLANTED_LABEL_ERRORS.txt'), planted.join('\n') + '\n');
cpSync(tinyClip, join(root, 'models', 'tiny-clip'), { recursive: true });
cpSync(classifier, join(root, 'models', 'shapes-classifier'), { recursive: true });
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
console.log(`make-samples: ${count} images in ${out}/shapes (${CLASSES.length} classes), models in ${out}/shapes/models/ (tiny-clip, shapes-classifier)`);
