// The user's fine-tuned model's inputs: class names matched as users write them, a classifier's own preprocessing
// spelled out, float16 logits, and the seeds report's mean ± sd against Python's statistics module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../server/src/errors';
import { classKey, matchClasses } from '../../server/src/engine/finetuned/class-names';
import { classifierPreprocessing } from '../../server/src/engine/finetuned/classifier-folder';
import { trainPriorFor } from '../../server/src/engine/finetuned/calibrate-finetuned';
import { combineSeedReports, meanAndSd } from '../../server/src/engine/seeds';
import { MODEL_KINDS, type Report } from '../../server/src/engine/report';
import { parseNpy } from '../../server/src/store/npy';
import { float16Bits } from '../../server/src/store/float16';
import { generatedFixtures } from '../helpers/paths';

const classes = [
  { name: 'red_circle', prompt: 'red circle' },
  { name: 'blue_triangle', prompt: 'blue triangle' },
  { name: 'tabby', prompt: 'tabby cat' },
];

test('class names match ignoring case, with _ and spaces alike, by folder name or prompt', () => {
  assert.equal(classKey('  Blue__Triangle '), 'blue triangle');
  const m = matchClasses(['Tabby Cat', 'Blue Triangle', 'dog', 'RED_CIRCLE'], classes, 'config.json');
  assert.deepEqual(Array.from(m.columnOf), [3, 1, 0]);
  assert.deepEqual(m.dropped, ['dog']);
});

test('a dataset class the model lacks is an error that names it', () => {
  assert.throws(() => matchClasses(['red circle', 'tabby'], classes, 'm/config.json id2label'), (err: Error) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /^m\/config\.json id2label: the model has no class 'blue_triangle'/);
    assert.match(err.message, /its classes: 'red circle', 'tabby'/);
    return true;
  });
  assert.throws(() => matchClasses(['red circle', 'Red_Circle', 'tabby', 'blue triangle'], classes, 'x'), /classes 0 \('red circle'\) and 1 \('Red_Circle'\) have the same name/);
});

test("a classifier's preprocessing must be spelled out; without do_center_crop a ViT processor does not crop", () => {
  const vit = { do_resize: true, size: { height: 128, width: 128 }, resample: 2, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], do_rescale: true, rescale_factor: 1 / 255 };
  const config = classifierPreprocessing(vit, 'p.json');
  assert.equal(config.doCenterCrop, false);
  assert.deepEqual(config.size, { kind: 'exact', height: 128, width: 128 });
  assert.equal(config.resample, 'bilinear');
  assert.deepEqual(config.imageMean, [0.5, 0.5, 0.5]);
  const { image_mean: _mean, resample: _resample, ...missing } = vit;
  assert.throws(() => classifierPreprocessing(missing, 'p.json'), /^UserError: p\.json: missing resample, image_mean; /);
  // With normalisation off, mean and std are not needed.
  assert.equal(classifierPreprocessing({ ...missing, resample: 3, do_normalize: false }, 'p.json').doNormalize, false);
});

test('--train-prior: by class name when the file names them, else one value per class in order; wrong length is an error', () => {
  const byName = trainPriorFor({ values: [0.5, 0.3, 0.2], classes: ['tabby cat', 'red circle', 'blue_triangle'], source: 'p.json' }, classes);
  assert.deepEqual(Array.from(byName, (l) => Number(Math.exp(l).toFixed(12))), [0.3, 0.2, 0.5]);
  const inOrder = trainPriorFor({ values: [2, 1, 1], source: 'p.json' }, classes);
  assert.deepEqual(Array.from(inOrder, (l) => Number(Math.exp(l).toFixed(12))), [0.5, 0.25, 0.25]);
  assert.throws(() => trainPriorFor({ values: [0.5, 0.5], source: 'p.json' }, classes), /^UserError: p\.json: has 2 classes but the dataset has 3/);
});

test('float16 .npy files are read (logits and embeddings); big-endian and Fortran order get a clear error', () => {
  const header = (descr: string, fortran = 'False') => {
    let h = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (2, 2), }`;
    h += ' '.repeat((64 - ((10 + h.length + 1) % 64)) % 64) + '\n';
    const b = Buffer.alloc(10 + h.length);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(b);
    b.writeUInt16LE(h.length, 8);
    b.write(h, 10, 'latin1');
    return b;
  };
  const values = [1.5, -2.25, 65504, 0.0001];
  const data = Buffer.alloc(8);
  values.forEach((v, k) => data.writeUInt16LE(float16Bits(v), 2 * k));
  const array = parseNpy(Buffer.concat([header('<f2'), data]), 'z.npy');
  assert.equal(array.dtype, 'float16');
  assert.deepEqual(array.shape, [2, 2]);
  assert.ok(array.data instanceof Float32Array);
  assert.deepEqual(Array.from(array.data.slice(0, 3)), [1.5, -2.25, 65504]);
  assert.ok(Math.abs((array.data[3] as number) - 0.0001) < 1e-7);
  assert.throws(() => parseNpy(Buffer.concat([header('>f4'), Buffer.alloc(16)]), 'b.npy'), /^UserError: b\.npy: unsupported big-endian data/);
  assert.throws(() => parseNpy(Buffer.concat([header('<f4', 'True'), Buffer.alloc(16)]), 'f.npy'), /^UserError: f\.npy: Fortran-ordered arrays are not supported/);
});

test("the seeds report's mean and sd equal Python's statistics.mean and statistics.stdev (committed reference)", () => {
  const ref = JSON.parse(readFileSync(join(generatedFixtures('seeds'), 'seeds.json'), 'utf8'));
  const base = (metrics: Report['metrics']): Report =>
    ({ metrics, classes: [{ name: 'a', prior: 0.5, recall: {}, precision: {} }, { name: 'b', prior: 0.5, recall: {}, precision: {} }], prior: { temperature: 1, values: [0.5, 0.5] }, timings: { total: 1 }, notes: [] }) as unknown as Report;
  const report = combineSeedReports(ref.seeds, ref.perSeed.map(base));
  assert.deepEqual(report.seeds, ref.seeds);
  for (const k of MODEL_KINDS) {
    for (const f of ['top1', 'meanRecall', 'head', 'medium', 'tail', 'nll', 'ece'] as const) {
      const m = report.metrics[k]!;
      assert.ok(Math.abs((m.mean![f] as number) - ref.expected[k].mean[f]) <= ref.tolerance, `${k}.${f} mean`);
      assert.ok(Math.abs((m.sd![f] as number) - ref.expected[k].sd[f]) <= ref.tolerance, `${k}.${f} sd`);
      assert.equal(m[f], m.mean![f], 'the top-level figure is the mean');
    }
  }
  assert.deepEqual(meanAndSd([0.5]), { mean: 0.5, sd: 0 });
  assert.deepEqual(meanAndSd([null, null]), { mean: null, sd: null });
});
