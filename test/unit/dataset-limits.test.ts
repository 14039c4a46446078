// The class limit holds however a dataset names its classes: a CSV's distinct labels, like gla.yaml's list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverDataset } from '../../server/src/dataset/discover';
import { MAX_CLASSES } from '../../server/src/dataset/manifest-limits';
import { UserError } from '../../server/src/errors';

test('a CSV with more distinct labels than the class limit is refused with the count and the limit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gla-limits-'));
  try {
    const rows = (n: number) => ['path,label', ...Array.from({ length: n }, (_, i) => `img${i}.png,c${i}`)].join('\n');
    writeFileSync(join(dir, 'over.csv'), rows(MAX_CLASSES + 1));
    await assert.rejects(discoverDataset(join(dir, 'over.csv')), (err: Error) => err instanceof UserError && /100,001 distinct labels; GLA handles at most 100,000 classes/.test(err.message));
    writeFileSync(join(dir, 'under.csv'), rows(3));
    assert.equal((await discoverDataset(join(dir, 'under.csv'))).classes.length, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
