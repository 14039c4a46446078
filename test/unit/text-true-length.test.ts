// Issue 11: the text head pads each batch to its longest prompt when the model takes any length. Exact for CLIP's
// causal text tower, which pools at the end-of-text token: the same embeddings as padding to 77.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTextSession, embedTexts, releaseSession } from '../../server/src/clip/inference/onnx-session';
import { TextEmbedder } from '../../server/src/clip/text/text-embedder';
import { CONTEXT_LENGTH, loadTokenizer, toInputIds } from '../../server/src/clip/text/tokenizer';
import { maxAbsDiff } from '../helpers/gla-cases';
import { modelFixture, towerPath } from '../helpers/model-fixtures';

const PROMPTS = ['a red circle.', 'a photo of a small blue triangle on a white background, seen from above.', 'a green square.', 'x'];

for (const variant of ['', '_fp16'] as const) {
  test(`tiny-clip${variant}: prompts padded to the longest in the batch embed as padded to 77`, async () => {
    const dir = modelFixture('tiny-clip');
    const tokenizer = await loadTokenizer(dir);
    const session = await createTextSession(towerPath('tiny-clip', 'text', variant));
    try {
      assert.equal(session.contextLength, undefined, 'the fixture takes any length, as Hugging Face exports do');
      const longest = Math.max(...PROMPTS.map((p) => tokenizer.tokenize(p).length));
      assert.ok(longest < 30, `the longest prompt is ${longest} tokens`);
      const at = async (length: number) => {
        const { inputIds, attentionMask } = toInputIds(tokenizer, PROMPTS, length);
        return embedTexts(session, inputIds, attentionMask, PROMPTS.length, length);
      };
      const short = await at(longest);
      const full = await at(CONTEXT_LENGTH);
      assert.ok(short.some((v) => v !== 0));
      assert.ok(maxAbsDiff(short, full) <= 1e-6, `differs by ${maxAbsDiff(short, full)}`);
    } finally {
      await releaseSession(session);
    }
  });
}

test('TextEmbedder pads each batch to its longest prompt and gives the 77-token embeddings', async () => {
  const dir = modelFixture('tiny-clip');
  const tokenizer = await loadTokenizer(dir);
  const session = await createTextSession(towerPath('tiny-clip', 'text'));
  const embedder = await TextEmbedder.open(towerPath('tiny-clip', 'text'), dir);
  try {
    const { inputIds, attentionMask } = toInputIds(tokenizer, PROMPTS, CONTEXT_LENGTH);
    const full = await embedTexts(session, inputIds, attentionMask, PROMPTS.length, CONTEXT_LENGTH);
    // Batches of 2: each padded to its own longest prompt.
    const embedded = await embedder.embed(PROMPTS, 2);
    assert.equal(embedded.length, full.length);
    assert.ok(maxAbsDiff(embedded, full) <= 1e-6, `differs by ${maxAbsDiff(embedded, full)}`);
  } finally {
    await embedder.close();
    await releaseSession(session);
  }
});
