import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../server/src/errors';
import { ExecutionProviderSelector } from '../../server/src/clip/inference/execution-providers';
import {
  createTextSession, createVisionSession, embedImages, embedTexts, releaseSession, type OpenSessionOptions,
} from '../../server/src/clip/inference/onnx-session';
import { InferenceThread } from '../../server/src/clip/inference/inference-thread';
import {
  assertClose, loadReferences, modelFixture, referenceArray, rowCosine, towerPath,
} from '../helpers/model-fixtures';
import { join } from 'node:path';

const refs = loadReferences();
const D = 32;
const cpu = (): OpenSessionOptions => ({ provider: 'cpu', selector: new ExecutionProviderSelector(() => assert.fail('no fallback expected')) });

async function visionInputs(i: number) {
  const pixels = await referenceArray(refs.vision[i].pixelValues);
  const expected = await referenceArray(refs.vision[i].imageEmbeds);
  const [n, , h, w] = pixels.shape;
  return { pixels: pixels.data as Float32Array, expected: expected.data as Float32Array, n, h, w };
}

async function textInputs(i: number) {
  const ids = await referenceArray(refs.text[i].inputIds);
  const mask = await referenceArray(refs.text[i].attentionMask);
  const expected = await referenceArray(refs.text[i].textEmbeds);
  const [n, len] = ids.shape;
  return { ids: ids.data as BigInt64Array, mask: mask.data as BigInt64Array, expected: expected.data as Float32Array, n, len };
}

test('tiny CLIP vision tower matches the numpy reference', async () => {
  const session = await createVisionSession(towerPath('tiny-clip', 'vision'), cpu());
  assert.equal(session.provider, 'cpu');
  assert.equal(session.dim, D);
  assert.deepEqual(session.imageSize, { height: 32, width: 32 });
  for (let i = 0; i < refs.vision.length; i++) {
    const { pixels, expected, n, h, w } = await visionInputs(i);
    const out = await embedImages(session, pixels, n, h, w);
    assertClose(out, expected, refs.tolerance, refs.vision[i].imageEmbeds);
  }
  await releaseSession(session);
});

test('tiny CLIP text tower matches the numpy reference', async () => {
  const session = await createTextSession(towerPath('tiny-clip', 'text'), cpu());
  assert.equal(session.hasAttentionMask, true);
  assert.equal(session.contextLength, undefined, 'it takes any length up to 77, as Hugging Face exports do');
  for (let i = 0; i < refs.text.length; i++) {
    const { ids, mask, expected, n, len } = await textInputs(i);
    const out = await embedTexts(session, ids, mask, n, len);
    assertClose(out, expected, refs.tolerance, refs.text[i].textEmbeds);
  }
  await releaseSession(session);
});

test('attention_mask reaches a model that declares it; a model without one runs on input_ids alone', async () => {
  const masked = await createTextSession(towerPath('tiny-clip', 'text'), cpu());
  const unmasked = await createTextSession(towerPath('tiny-clip-no-mask', 'text'), cpu());
  assert.equal(unmasked.hasAttentionMask, false);
  const { ids, mask, expected, n, len } = await textInputs(0);
  // Padding comes after EOT and attention is causal, so the model without a mask gives the same embeddings.
  assertClose(await embedTexts(unmasked, ids, mask, n, len), expected, refs.tolerance, 'no-mask model');
  // Masking a token before EOT changes the masked model's output: the mask really reaches it.
  const holed = mask.slice();
  const row = 2; // a 40-token text
  holed[row * len + 1] = 0n;
  const withHole = await embedTexts(masked, ids, holed, n, len);
  const withoutHole = await embedTexts(masked, ids, mask, n, len);
  assert.ok(rowCosine(withHole, withoutHole, D, row) < 0.9999, 'masking a token changes the embedding');
  assert.ok(rowCosine(withHole, withoutHole, D, 0) > 0.999999, 'other rows are untouched');
  await releaseSession(masked);
  await releaseSession(unmasked);
});

test('the identity model returns its input exactly', async () => {
  const session = await createVisionSession(towerPath('identity', 'vision'), cpu());
  assert.equal(session.dim, 3 * 224 * 224);
  const n = 2;
  const pixels = new Float32Array(n * 3 * 224 * 224);
  let seed = 7;
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    pixels[i] = (seed / 2 ** 32) * 4 - 2;
  }
  const out = await embedImages(session, pixels, n, 224, 224);
  assert.equal(out.length, pixels.length);
  let mismatches = 0;
  for (let i = 0; i < out.length; i++) if (out[i] !== pixels[i]) mismatches++;
  assert.equal(mismatches, 0);
  await releaseSession(session);
});

test('float16 model inputs and outputs are converted', async () => {
  const session = await createVisionSession(towerPath('identity-fp16', 'vision'), cpu());
  assert.equal(session.pixelType, 'float16');
  assert.equal(session.outputType, 'float16');
  const pixels = new Float32Array(3 * 224 * 224);
  // Multiples of 1/64 below 16 have at most 11 significant bits: exact in fp16.
  for (let i = 0; i < pixels.length; i++) pixels[i] = ((i % 2001) - 1000) / 64;
  // And values fp16 must round, with their IEEE half-precision results.
  const rounded: [number, number][] = [[0.1, 0.0999755859375], [1 / 3, 0.333251953125], [70000, Infinity], [1e-8, 0],
    [-65504, -65504], [6e-8, 2 ** -24]];
  rounded.forEach(([x], k) => (pixels[k] = x));
  const out = await embedImages(session, pixels, 1, 224, 224);
  rounded.forEach(([x, expected], k) => assert.equal(out[k], expected, `fp16(${x})`));
  for (let i = rounded.length; i < pixels.length; i++) {
    if (out[i] !== pixels[i]) assert.fail(`element ${i}: ${out[i]} !== ${pixels[i]}`);
  }
  await releaseSession(session);
});

for (const variant of ['_quantized', '_fp16'] as const) {
  test(`the ${variant.slice(1)} variants agree with the fp32 reference (cosine >= ${refs.variantMinCosine})`, async () => {
    const vision = await createVisionSession(towerPath('tiny-clip', 'vision', variant), cpu());
    for (let i = 0; i < refs.vision.length; i++) {
      const { pixels, expected, n, h, w } = await visionInputs(i);
      const out = await embedImages(vision, pixels, n, h, w);
      for (let r = 0; r < n; r++) assert.ok(rowCosine(out, expected, D, r) >= refs.variantMinCosine, `vision ${i} row ${r}`);
    }
    const text = await createTextSession(towerPath('tiny-clip', 'text', variant), cpu());
    for (let i = 0; i < refs.text.length; i++) {
      const { ids, mask, expected, n, len } = await textInputs(i);
      const out = await embedTexts(text, ids, mask, n, len);
      for (let r = 0; r < n; r++) assert.ok(rowCosine(out, expected, D, r) >= refs.variantMinCosine, `text ${i} row ${r}`);
    }
    await releaseSession(vision);
    await releaseSession(text);
  });
}

test('zero-shot on coloured shapes names each shape\'s colour, as the numpy model does', async () => {
  const vision = await createVisionSession(towerPath('tiny-clip', 'vision'), cpu());
  const text = await createTextSession(towerPath('tiny-clip', 'text'), cpu());
  const shapesIndex = refs.vision.findIndex((v) => v.pixelValues.startsWith('shapes'));
  const promptsIndex = refs.text.findIndex((t) => t.inputIds.startsWith('shapes'));
  const img = await visionInputs(shapesIndex);
  const txt = await textInputs(promptsIndex);
  const images = await embedImages(vision, img.pixels, img.n, img.h, img.w);
  const prompts = await embedTexts(text, txt.ids, txt.mask, txt.n, txt.len);
  const best = (imageEmbeds: Float32Array, textEmbeds: Float32Array, i: number) => {
    let arg = -1;
    let top = -Infinity;
    for (let p = 0; p < txt.n; p++) {
      let dot = 0;
      let nt = 0;
      for (let j = 0; j < D; j++) {
        dot += imageEmbeds[i * D + j] * textEmbeds[p * D + j];
        nt += textEmbeds[p * D + j] ** 2;
      }
      if (dot / Math.sqrt(nt) > top) [top, arg] = [dot / Math.sqrt(nt), p];
    }
    return arg;
  };
  for (let i = 0; i < img.n; i++) {
    const predicted = best(images, prompts, i);
    assert.equal(predicted, best(img.expected, txt.expected, i), `image ${i}: same prediction as numpy`);
    const colour = refs.shapes.images[i].split(' ')[0];
    assert.match(refs.shapes.prompts[predicted], new RegExp(`\\b${colour}\\b`), `image ${i} (${refs.shapes.images[i]})`);
  }
  await releaseSession(vision);
  await releaseSession(text);
});

test('a model with the wrong input or output name, or no file, gets a message naming the problem', async () => {
  await assert.rejects(createVisionSession(towerPath('broken-input-name', 'vision'), cpu()),
    (err: Error) => err instanceof UserError && /no input 'pixel_values'/.test(err.message) && /\bimages\b/.test(err.message));
  await assert.rejects(createVisionSession(towerPath('broken-output-name', 'vision'), cpu()),
    (err: Error) => err instanceof UserError && /no output 'image_embeds'/.test(err.message) && /\bembeds\b/.test(err.message));
  await assert.rejects(createTextSession(towerPath('broken-missing-text', 'text'), cpu()),
    (err: Error) => err instanceof UserError && /text_model\.onnx: no such file/.test(err.message));
  await assert.rejects(createTextSession(join(modelFixture('tiny-clip'), 'config.json'), cpu()),
    (err: Error) => err instanceof UserError && /cannot load the text model/.test(err.message));
  // A text model offered as the vision tower: named by what it lacks.
  await assert.rejects(createVisionSession(towerPath('tiny-clip', 'text'), cpu()),
    (err: Error) => err instanceof UserError && /no input 'pixel_values'/.test(err.message) && /input_ids/.test(err.message));
});

test('pixels of the wrong size are refused with the size the model takes', async () => {
  const session = await createVisionSession(towerPath('tiny-clip', 'vision'), cpu());
  await assert.rejects(embedImages(session, new Float32Array(3 * 224 * 224), 1, 224, 224),
    (err: Error) => err instanceof UserError && /takes 32x32 pixels but preprocessing made 224x224/.test(err.message));
  await releaseSession(session);
});

test('the inference worker returns what the in-thread session returns', async () => {
  const thread = InferenceThread.start({ selector: new ExecutionProviderSelector(() => assert.fail('no fallback expected')) });
  try {
    const vision = await thread.openVision(towerPath('tiny-clip', 'vision'), { provider: 'cpu' });
    const text = await thread.openText(towerPath('tiny-clip', 'text'), { provider: 'cpu' });
    assert.deepEqual([vision.provider, vision.dim, text.hasAttentionMask], ['cpu', D, true]);
    const inThreadVision = await createVisionSession(towerPath('tiny-clip', 'vision'), cpu());
    const inThreadText = await createTextSession(towerPath('tiny-clip', 'text'), cpu());
    for (let i = 0; i < refs.vision.length; i++) {
      const { pixels, n, h, w } = await visionInputs(i);
      const here = await embedImages(inThreadVision, pixels, n, h, w);
      const copied = await thread.embedImages(pixels, n, h, w);
      assert.deepEqual(copied, here);
      const moved = pixels.slice();
      assert.deepEqual(await thread.embedImages(moved, n, h, w, { transfer: true }), here);
      assert.equal(moved.byteLength, 0, 'a transferred input is detached');
    }
    for (let i = 0; i < refs.text.length; i++) {
      const { ids, mask, n, len } = await textInputs(i);
      assert.deepEqual(await thread.embedTexts(ids, mask, n, len), await embedTexts(inThreadText, ids, mask, n, len));
    }
    await releaseSession(inThreadVision);
    await releaseSession(inThreadText);
    // Errors cross the thread boundary as the same user-facing kind.
    await assert.rejects(thread.openVision(towerPath('broken-input-name', 'vision'), { provider: 'cpu' }),
      (err: Error) => err instanceof UserError && /no input 'pixel_values'/.test(err.message));
  } finally {
    await thread.close();
  }
  await assert.rejects(thread.embedImages(new Float32Array(3 * 32 * 32), 1, 32, 32), /closed/);
});
