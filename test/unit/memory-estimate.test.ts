import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../server/src/errors';
import { checkRunFits, estimateRunBytes } from '../../server/src/engine/memory-estimate';

const GiB = 2 ** 30;

test('the estimate grows with N·D, not with N·C, unless the run is label-free', () => {
  const at = (images: number, labelFree = false) => estimateRunBytes({ images, classes: 1000, dim: 512, labelFree });
  // ImageNet-shaped 50 000 × 1000 × 512 was measured at 883 MiB peak: the estimate is of that order.
  assert.ok(at(50_000) > 0.7 * GiB && at(50_000) < 1.5 * GiB, `${at(50_000) / GiB} GiB`);
  // 4× the images adds 3 × 50 000 × 512 × 8 bytes (features, read and held), no N × C term.
  assert.equal(at(200_000) - at(50_000), 150_000 * 512 * 8);
  assert.equal(at(50_000, true) - at(50_000), 2 * 50_000 * 1000 * 4);
});

test('a run that cannot fit is refused up front, naming the estimate and the machine', () => {
  const size = { images: 50_000, classes: 1000, dim: 512, labelFree: false };
  assert.doesNotThrow(() => checkRunFits(size, 24 * GiB));
  assert.throws(() => checkRunFits(size, 1 * GiB), (err: unknown) => err instanceof UserError && /needs about 0\.\d GiB, more than 80% of this machine's 1\.0 GiB/.test(err.message));
});
