// `gla model verify` runs one test batch through each tower: weights that load and declare CLIP's interface but
// produce NaN, ±Inf or a misshapen embedding fail, through the bundled CLI as users run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, generatedFixtures } from '../helpers/paths';

const cases = generatedFixtures('model-verify');
const models = generatedFixtures('models');

function verify(dir: string, ...args: string[]) {
  return spawnSync(process.execPath, [cliPath, 'model', 'verify', dir, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('NaN-producing vision weights fail verify with a non-zero exit, naming the file and NaN', () => {
  const run = verify(join(cases, 'nan-vision-weights'));
  assert.notEqual(run.status, 0, run.stdout);
  assert.match(run.stderr, /onnx\/vision_model\.onnx: produced NaN on a test image .*the weights are broken/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'one clear message, no stack trace');
});

test('--json reports the test batch problem too', () => {
  const run = verify(join(cases, 'nan-vision-weights'), '--json');
  assert.equal(run.status, 1);
  const result = JSON.parse(run.stdout) as { ok: boolean; problems: { file: string; message: string }[] };
  assert.equal(result.ok, false);
  assert.deepEqual(result.problems.map((p) => p.file), ['onnx/vision_model.onnx']);
  assert.match(result.problems[0].message, /NaN/);
});

test('infinite text weights, a misshapen output and widths that disagree only at run time all fail', () => {
  const expectations: [string, RegExp][] = [
    ['inf-text-weights', /onnx\/text_model\.onnx: produced ±Inf on a test prompt/],
    ['zero-vision-weights', /onnx\/vision_model\.onnx: produced an all-zero embedding/],
    ['wrong-shape-at-runtime', /onnx\/vision_model\.onnx: image_embeds has shape \[1,2,4\] on a test image, expected \[1,D\]/],
    ['dims-disagree-at-runtime', /embedding widths disagree on a test batch: onnx\/vision_model\.onnx gives 6, onnx\/text_model\.onnx gives 8/],
    ['nan-quantized-only', /onnx\/vision_model_quantized\.onnx: produced NaN/],
  ];
  for (const [name, message] of expectations) {
    const run = verify(join(cases, name));
    assert.equal(run.status, 1, `${name}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, message, name);
  }
});

test('the tiny CLIP model (every variant) and the toy good folders pass their test batches', () => {
  for (const dir of [join(models, 'tiny-clip'), join(cases, 'good'), join(cases, 'good-symbolic-width'), join(cases, 'good-text-without-mask')]) {
    const run = verify(dir);
    assert.equal(run.status, 0, `${dir}: ${run.stderr}`);
    assert.match(run.stdout, /: ok, embeddings of width \d+/);
  }
  const symbolic = verify(join(cases, 'good-symbolic-width'), '--json');
  assert.equal((JSON.parse(symbolic.stdout) as { dim?: number }).dim, 8, 'a width only the test batch shows is reported');
});
