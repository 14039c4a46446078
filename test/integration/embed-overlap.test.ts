// Hashing and decoding overlap: the tiny CLIP embeds the first batch of misses while later files are still being
// hashed (real ONNX Runtime and sharp; the index is the real one, slowed down to make the order observable).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedFixtures } from '../helpers/paths';
import { ImageEmbedder } from '../../server/src/clip/inference/image-embedder';
import { embedImages } from '../../server/src/engine/embed-images';
import { openModel } from '../../server/src/engine/open-model';
import { EmbeddingCache } from '../../server/src/store/embedding-cache';
import { PathIndex, type ContentKey } from '../../server/src/store/path-index';

const dataset = join(generatedFixtures('analyze-datasets'), 'imagefolder', 'train');

/** The real index, 25 ms slower per file after the first four, recording when each path was asked for. */
class SlowIndex extends PathIndex {
  readonly asked: number[] = [];
  override async keyOf(path: string): Promise<ContentKey> {
    this.asked.push(performance.now());
    if (this.asked.length > 4) await new Promise((r) => setTimeout(r, 25));
    return super.keyOf(path);
  }
}

test('the first batch is embedded before the last file is hashed, and every image still gets its embedding', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const model = await openModel(join(generatedFixtures('models'), 'tiny-clip'), { cacheDir, allowDownload: false });
  const paths = readdirSync(dataset).flatMap((c) => readdirSync(join(dataset, c)).filter((f) => /^train-.*\.png$/.test(f)).map((f) => join(dataset, c, f)));
  assert.ok(paths.length >= 20, `${paths.length} images`);
  const index = new SlowIndex(cacheDir);
  let embedder: ImageEmbedder | undefined;
  let firstAnswer = Infinity;
  try {
    const result = await embedImages(
      paths,
      async () => (embedder = await ImageEmbedder.open({ visionPath: model.folder.visionPath, config: model.config, batchSize: 4 })),
      new EmbeddingCache(cacheDir, model.namespace),
      index,
      { onProgress: (done) => void (done > 0 && firstAnswer === Infinity && (firstAnswer = performance.now())) },
    );
    assert.equal(result.computed, paths.length);
    assert.deepEqual(result.failed, []);
    const lastAsked = index.asked[index.asked.length - 1];
    assert.ok(firstAnswer < lastAsked, `the first embedding came ${(firstAnswer - lastAsked).toFixed(0)} ms after the last file was hashed`);
  } finally {
    await embedder?.close();
  }
});
