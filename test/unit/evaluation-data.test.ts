import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionCounts, evaluationFromPredictions, forThePage, f1Score, onEvaluatedSplit, perClassScores, topConfusions } from '../../client/src/evaluation-data';

const names = ['cat', 'dog', 'fox'];
// Six test images, one train image (not counted), one with a name the report lacks.
const csv = [
  'path,split,given,zeroShot,debiased,finetuned,ensemble,gla,glaProbability,zeroShotProbability',
  'test/cat/1.png,test,cat,cat,cat,,,cat,0.900000,0.500000',
  'test/cat/2.png,test,cat,dog,cat,,,dog,0.600000,0.400000',
  'test/cat/3.png,test,cat,dog,cat,,,dog,0.700000,',
  'test/dog/1.png,test,dog,dog,dog,,,dog,0.800000,0.700000',
  'test/dog/2.png,test,dog,cat,dog,,,cat,0.550000,0.300000',
  'test/dog/3.png,test,dog,dog,dog,,,dog,0.950000,0.800000',
  'train/cat/9.png,train,cat,fox,fox,,,fox,0.990000,0.900000',
  'test/cat/4.png,test,cat,wolf,cat,,,cat,0.500000,0.600000',
].join('\n');

test('predictions.csv → per-image typed arrays: classes by index, splits coded, missing confidences NaN, unknown names counted', () => {
  const e = evaluationFromPredictions(csv, names, 'test')!;
  assert.deepEqual(e.models, ['zeroShot', 'debiased', 'gla'], 'models with no prediction at all are left out');
  assert.equal(e.paths.length, 8);
  assert.equal(e.images, 8);
  // The page gets no paths (they come with each image in view) and its confidences after the matrix's paint.
  const page = forThePage(e);
  assert.ok(!('paths' in page));
  assert.deepEqual(page.confidence, {});
  assert.equal(page.given, e.given);
  assert.ok(e.given instanceof Int32Array && e.predicted.zeroShot instanceof Int32Array && e.confidence.zeroShot instanceof Float32Array, 'typed arrays travel to the webview as binary');
  assert.deepEqual([...e.given], [0, 0, 0, 1, 1, 1, 0, 0]);
  assert.deepEqual([...e.split], [2, 2, 2, 2, 2, 2, 0, 2]);
  assert.deepEqual([...e.evaluated], [1, 1, 1, 1, 1, 1, 0, 1]);
  assert.deepEqual([...e.predicted.zeroShot!], [0, 1, 1, 1, 0, 1, 2, -1]);
  // Float32: each confidence to 7 significant digits; a missing one is NaN.
  assert.deepEqual([...e.confidence.zeroShot!].map((v) => (Number.isNaN(v) ? null : Number(v.toPrecision(7)))), [0.5, 0.4, null, 0.7, 0.3, 0.8, 0.9, 0.6]);
  assert.ok([...e.confidence.debiased!].every(Number.isNaN), 'no debiasedProbability column: NaN throughout');
  assert.equal(e.unknownNames, 1, "'wolf' is not a class");
});

test('confusion counts, top confusions, precision, recall and F1 by hand', () => {
  const e = evaluationFromPredictions(csv, names, 'test')!;
  const gla = confusionCounts(e, 'gla', 3);
  // Rows given, columns predicted: cat → cat ×2 (1.png, 4.png), cat → dog ×2, dog → dog ×2, dog → cat ×1; fox has none.
  assert.deepEqual(Array.from(gla), [2, 2, 0, 1, 2, 0, 0, 0, 0]);
  assert.deepEqual(topConfusions(gla, 3, 10), [
    { actual: 0, predicted: 1, count: 2 },
    { actual: 1, predicted: 0, count: 1 },
  ]);
  const s = perClassScores(gla, 3);
  assert.deepEqual(s.recall, [2 / 4, 2 / 3, null]);
  assert.deepEqual(s.precision, [2 / 3, 2 / 4, null], 'fox is never predicted: precision n/a');
  assert.ok(Math.abs(s.f1[0]! - (2 * (2 / 3) * 0.5) / (2 / 3 + 0.5)) < 1e-15);
  assert.equal(s.f1[2], null, 'no support and no prediction: F1 n/a');
  // zero-shot's unknown 'wolf' row is no prediction: not counted.
  assert.equal(confusionCounts(e, 'zeroShot', 3).reduce((a, b) => a + b, 0), 6, 'of the 7 test images, the one predicted wolf is left out');
  assert.equal(confusionCounts(e, 'finetuned', 3).reduce((a, b) => a + b, 0), 0, 'a model without predictions has an empty matrix');
});

test('F1 is 0 whenever there is no hit, n/a only with neither images nor predictions', () => {
  assert.equal(f1Score(0, 0), 0);
  assert.equal(f1Score(null, 0), 0, 'never predicted, but has images');
  assert.equal(f1Score(0, null), 0, 'predicted, but has no images');
  assert.equal(f1Score(null, null), null);
  assert.equal(f1Score(0.5, 1), 2 / 3);
});

test('without a test split every labelled image is evaluated', () => {
  assert.equal(onEvaluatedSplit('test', 'train'), false);
  assert.equal(onEvaluatedSplit('cross-validated (no test split)', 'train'), true);
  const e = evaluationFromPredictions(csv, names, 'cross-validated (no test split)')!;
  assert.equal([...e.evaluated].filter(Boolean).length, 8);
});

test('a CSV without path or given columns has no evaluation', () => {
  assert.equal(evaluationFromPredictions('a,b\n1,2\n', names, 'test'), null);
  assert.equal(evaluationFromPredictions('', names, 'test'), null);
});
