import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classHead, normalizeRows, zeroShotLogits } from '../../server/src/gla/zero-shot';
import { predictions } from '../../server/src/gla/matrix';
import { classPrompts, expandTemplates, IMAGENET_80_TEMPLATES, CLIP_7_TEMPLATES } from '../../server/src/clip/text/templates';
import { buildTextHead } from '../../server/src/engine/text-head';
import { openModel } from '../../server/src/engine/open-model';
import { EmbeddingCache } from '../../server/src/store/embedding-cache';
import { parseNpy } from '../../server/src/store/npy';
import { generatedFixtures } from '../helpers/paths';

const references = join(generatedFixtures('models'), 'references');
const npy = (name: string) => parseNpy(readFileSync(join(references, name)));

test('the class head is the normalised mean of the normalised prompt embeddings', () => {
  // Two classes × two prompts in 2-D: class 0's prompts point along x and y, class 1's along −x (twice, different lengths).
  const head = classHead(Float64Array.from([3, 0, 0, 5, -1, 0, -7, 0]), 2, 2, 2);
  assert.ok(Math.abs(head.data[0] - Math.SQRT1_2) < 1e-15 && Math.abs(head.data[1] - Math.SQRT1_2) < 1e-15);
  assert.deepEqual(Array.from(head.data.subarray(2)), [-1, 0]);
  const z = zeroShotLogits({ data: Float64Array.from([0, 2]), rows: 1, cols: 2 }, head, 100);
  assert.ok(Math.abs(z.data[0] - 100 * Math.SQRT1_2) < 1e-12 && Math.abs(z.data[1]) < 1e-12);
  assert.deepEqual(Array.from(normalizeRows({ data: Float64Array.from([0, 0]), rows: 1, cols: 2 }).data), [0, 0]);
});

test('templates: the 80-template and 7-template sets, by name or literal', () => {
  assert.equal(IMAGENET_80_TEMPLATES.length, 80);
  assert.equal(new Set(IMAGENET_80_TEMPLATES).size, 80);
  assert.ok(IMAGENET_80_TEMPLATES.every((t) => t.includes('{}')));
  assert.deepEqual(expandTemplates(['clip-7']), [...CLIP_7_TEMPLATES]);
  assert.deepEqual(expandTemplates(['a {} here.', 'single']), ['a {} here.', 'a photo of a {}.']);
  assert.deepEqual(classPrompts('red circle', ['a {} or another {}.']), ['a red circle or another red circle.']);
});

test('the text head from the tiny CLIP matches its NumPy reference, and a second build comes from the cache', async () => {
  const model = await openModel(join(generatedFixtures('models'), 'tiny-clip'), {});
  const spec = JSON.parse(readFileSync(join(references, 'references.json'), 'utf8')).shapes as { images: string[] };
  const cache = new EmbeddingCache(mkdtempSync(join(tmpdir(), 'gla-text-')), { modelId: 'tiny-text', preprocessingVersion: 'clip-bpe-1' }, 'fp32');
  const head = await buildTextHead(model, spec.images, ['a photo of a {}.'], cache);
  const ref = npy('shapes_prompt_text_embeds.npy');
  const expected = normalizeRows({ data: ref.data as Float32Array, rows: ref.shape[0], cols: ref.shape[1] });
  for (let k = 0; k < head.data.length; k++) assert.ok(Math.abs(head.data[k] - expected.data[k]) < 1e-4, `entry ${k}`);
  // Zero-shot on the reference shapes names every colour right (the tiny CLIP is built to).
  const images = npy('shapes_image_embeds.npy');
  const z = zeroShotLogits({ data: images.data as Float32Array, rows: images.shape[0], cols: images.shape[1] }, head, 100);
  const colourOf = (k: number) => spec.images[k].split(' ')[0];
  predictions(z).forEach((p, i) => assert.equal(colourOf(p), colourOf(i)));
  // Without a text model the second build can only succeed from the cache.
  const cachedOnly = { ...model, folder: { ...model.folder, textPath: undefined } };
  const again = await buildTextHead(cachedOnly, spec.images, ['a photo of a {}.'], cache);
  assert.deepEqual(Array.from(again.data), Array.from(head.data));
});
