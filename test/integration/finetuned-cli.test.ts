// `gla analyze --finetuned`: the user's own classifier (an ONNX folder with its own 128 px preprocessing and an
// id2label order unlike the folders') or its logits, calibrated with GLA; `gla classify` scoring a folder of class
// folders; `--shots K --seeds`; and the bad inputs, each one clear line with nothing half-written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, generatedFixtures } from '../helpers/paths';
import { serializeNpy } from '../../server/src/store/npy';

const fixtures = generatedFixtures('finetuned');
const dataset = join(fixtures, 'shapes-dataset');
const classifier = join(fixtures, 'shapes-classifier');
const clip = join(generatedFixtures('models'), 'tiny-clip');
const references = JSON.parse(readFileSync(join(fixtures, 'references.json'), 'utf8')) as { testTop1: number };

function gla(cache: string, ...args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, GLA_CACHE_DIR: cache } });
}

const temp = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));
const readJson = (path: string): any => JSON.parse(readFileSync(path, 'utf8'));

function analyze(cache: string, finetuned: string, ...extra: string[]) {
  const out = join(temp('gla-ft-'), 'run');
  const r = gla(cache, 'analyze', dataset, '--model', clip, '--finetuned', finetuned, '--out', out, ...extra);
  return { r, out, report: r.status === 0 ? readJson(join(out, 'report.json')) : undefined };
}

test('--finetuned MODEL_DIR: the classifier runs with its own preprocessing, its classes matched by name, and GLA calibrates it', () => {
  const cache = temp('gla-cache-');
  const { r, out, report } = analyze(cache, classifier);
  assert.equal(r.status, 0, r.stderr);
  // Its own test top-1, as numpy computes it from the same weights on PIL-preprocessed pixels.
  assert.ok(Math.abs(report.metrics.finetuned.top1 - references.testTop1) <= 0.02, `fine-tuned ${report.metrics.finetuned.top1} vs ${references.testTop1}`);
  assert.ok(report.metrics.gla.top1 >= report.metrics.finetuned.top1 - 0.02, `GLA ${report.metrics.gla.top1} vs fine-tuned ${report.metrics.finetuned.top1}`);
  for (const k of ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']) assert.equal(typeof report.metrics[k].top1, 'number', k);
  const sha = createHash('sha256').update(readFileSync(join(classifier, 'onnx', 'model.onnx'))).digest('hex');
  assert.deepEqual(report.finetuned, { source: 'model', path: classifier, sha256: sha, name: 'shapes-classifier' });
  assert.equal(report.probe, undefined, 'no probe is fitted when the user brings a model');
  for (const k of ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']) assert.ok(k in report.classes[0].recall, k);
  // The CLI table: five rows, the fine-tuned one named by its folder.
  assert.match(r.stdout, /^fine-tuned \(shapes-classifier\)\s+\d/m);
  assert.match(r.stdout, /^naive ensemble\s+\d/m);
  const csv = readFileSync(join(out, 'predictions.csv'), 'utf8').split('\n');
  assert.equal(csv[0], 'path,split,given,zeroShot,debiased,finetuned,ensemble,gla,glaProbability,zeroShotProbability,debiasedProbability,finetunedProbability,ensembleProbability');
  // Logits are cached per image content × model file × preprocessing: a second run computes none.
  const again = analyze(cache, classifier);
  assert.equal(again.r.status, 0, again.r.stderr);
  assert.deepEqual(again.report.metrics.finetuned, report.metrics.finetuned);
  const entries = readdirSync(join(cache, 'embeddings'), { recursive: true }).filter((f) => String(f).endsWith('.emb'));
  const images = readJson(join(fixtures, 'shapes-dataset-logits.json')).paths.length;
  assert.ok(entries.length >= 2 * images, 'CLIP embeddings and classifier logits both cached');
});

test('--finetuned PREFIX (float32 or float16 logits) gives the same fine-tuned top-1 as the model, within 0.01', () => {
  const cache = temp('gla-cache-');
  const model = analyze(cache, classifier).report;
  for (const prefix of ['shapes-dataset-logits', 'shapes-dataset-logits-f16.npy']) {
    const { r, report } = analyze(cache, join(fixtures, prefix));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Math.abs(report.metrics.finetuned.top1 - model.metrics.finetuned.top1) <= 0.01, `${prefix}: ${report.metrics.finetuned.top1} vs ${model.metrics.finetuned.top1}`);
    assert.equal(report.finetuned.source, 'logits');
    assert.equal(report.finetuned.sha256.length, 64);
  }
});

test('a model that fixes its batch size at 1 (torch.onnx.export without dynamic axes) runs batch by batch', () => {
  const cache = temp('gla-cache-');
  const { r, report } = analyze(cache, join(fixtures, 'shapes-classifier-batch1'));
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Math.abs(report.metrics.finetuned.top1 - references.testTop1) <= 0.02);
});

test('an image without a row in the logits is reported, not fatal, and left out of the fine-tuned, ensemble and GLA columns', () => {
  const cache = temp('gla-cache-');
  const dir = temp('gla-logits-');
  const manifest = readJson(join(fixtures, 'shapes-dataset-logits.json'));
  const drop = manifest.paths.findIndex((p: string) => p.startsWith('test/'));
  const bytes = readFileSync(join(fixtures, 'shapes-dataset-logits.npy'));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset + bytes.length - manifest.paths.length * 32, bytes.byteOffset + bytes.length));
  const kept = new Float32Array((manifest.paths.length - 1) * 8);
  let at = 0;
  manifest.paths.forEach((_: string, r: number) => {
    if (r !== drop) kept.set(all.subarray(r * 8, r * 8 + 8), 8 * at++);
  });
  writeFileSync(join(dir, 'l.npy'), serializeNpy({ dtype: 'float32', shape: [manifest.paths.length - 1, 8], data: kept }));
  writeFileSync(join(dir, 'l.json'), JSON.stringify({ paths: manifest.paths.filter((_: string, r: number) => r !== drop), classes: manifest.classes }));
  const { r, out, report } = analyze(cache, join(dir, 'l'));
  assert.equal(r.status, 0, r.stderr);
  assert.ok(report.notes.some((n: string) => /1 image\(s\) have no row \(e\.g\. test\//.test(n)), report.notes.join('\n'));
  assert.ok(report.notes.some((n: string) => /1 of the \d+ evaluated images have no fine-tuned logits/.test(n)));
  // GLA's confusions pair its predictions with the labels of the images it scored, not of all evaluated images.
  const scored = report.dataset.splits.test - 1;
  const mistakes = report.confusions.reduce((n: number, c: { count: number }) => n + c.count, 0);
  assert.ok(mistakes <= Math.round((1 - report.metrics.gla.top1) * scored), `${mistakes} confusions for GLA top-1 ${report.metrics.gla.top1}`);
  const row = readFileSync(join(out, 'predictions.csv'), 'utf8').split('\n').find((l) => l.startsWith(manifest.paths[drop]))!;
  const cells = row.split(',');
  assert.notEqual(cells[3], '', 'zero-shot is still predicted');
  assert.deepEqual(cells.slice(5, 9), ['', '', '', ''], 'fine-tuned, ensemble, GLA and its probability are blank');
  assert.notEqual(cells[9], '', 'zero-shot’s probability is there');
  assert.notEqual(cells[10], '', 'and the debiased model’s');
  assert.deepEqual(cells.slice(11), ['', ''], 'the fine-tuned and ensemble probabilities are blank');
});

test('gla classify on a folder of class folders scores every model (metrics.json) exactly as gla evaluate scores its logits', () => {
  const cache = temp('gla-cache-');
  const { out } = analyze(cache, classifier);
  const work = temp('gla-classify-');
  const r = gla(cache, 'classify', join(dataset, 'test'), '--run', out, '--out', join(work, 'predictions.csv'), '--save-logits', join(work, 'logits'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^GLA\s+\d/m);
  const metrics = readJson(join(work, 'metrics.json'));
  assert.equal(metrics.labelled, readdirSync(join(dataset, 'test'), { recursive: true }).filter((f) => String(f).endsWith('.png')).length);
  for (const k of ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']) {
    const e = gla(cache, 'evaluate', '--logits', join(work, 'logits', `${k}.npy`), '--labels', join(work, 'logits', 'labels.npy'), '--prior', join(out, 'report.json'), '--json');
    assert.equal(e.status, 0, e.stderr);
    const expected = JSON.parse(e.stdout);
    for (const f of ['top1', 'meanRecall', 'head', 'medium', 'tail', 'nll', 'ece']) assert.ok(Math.abs(metrics.metrics[k][f] - expected[f]) < 1e-9, `${k}.${f}: ${metrics.metrics[k][f]} vs ${expected[f]}`);
  }
  // The run's own test split, classified again, reproduces the report's figures.
  const report = readJson(join(out, 'report.json'));
  assert.ok(Math.abs(metrics.metrics.gla.top1 - report.metrics.gla.top1) < 1e-9);
  // A class folder the run does not know is an error that names it.
  const shifted = temp('gla-shifted-');
  cpSync(join(dataset, 'test'), shifted, { recursive: true });
  cpSync(join(dataset, 'test', 'red_circle'), join(shifted, 'pink_hexagon'), { recursive: true });
  const bad = gla(cache, 'classify', shifted, '--run', out, '--out', join(work, 'p2.csv'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^gla: .*class folder 'pink_hexagon' names no class of the run/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.ok(!existsSync(join(work, 'p2.csv')));
});

/** A copy of the classifier folder with one file changed. */
function brokenCopy(edit: (dir: string) => void): string {
  const dir = join(temp('gla-broken-'), 'model');
  cpSync(classifier, dir, { recursive: true });
  edit(dir);
  return dir;
}

test('bad fine-tuned inputs: one clear line each, and no run folder is left behind', () => {
  const cache = temp('gla-cache-');
  const logitsDir = temp('gla-logits-');
  const manifest = readJson(join(fixtures, 'shapes-dataset-logits.json'));
  const n = manifest.paths.length;
  const nan = new Float32Array(n * 8).fill(0.5);
  nan[8 * 3 + 2] = NaN;
  writeFileSync(join(logitsDir, 'nan.npy'), serializeNpy({ dtype: 'float32', shape: [n, 8], data: nan }));
  writeFileSync(join(logitsDir, 'nan.json'), JSON.stringify(manifest));
  writeFileSync(join(logitsDir, 'seven.npy'), serializeNpy({ dtype: 'float32', shape: [n, 7], data: new Float32Array(n * 7) }));
  writeFileSync(join(logitsDir, 'seven.json'), JSON.stringify({ paths: manifest.paths, classes: manifest.classes.filter((c: string) => !/blue.circle/i.test(c)) }));
  writeFileSync(join(logitsDir, 'prior.json'), JSON.stringify([0.5, 0.5]));
  const editConfig = (file: string, change: (json: any) => void) => (dir: string) => {
    const json = readJson(join(dir, file));
    change(json);
    writeFileSync(join(dir, file), JSON.stringify(json));
  };
  const cases: [string, string[], RegExp][] = [
    ['a model without logits', [join(fixtures, 'broken-no-logits')], /has no output 'logits' \(its outputs: scores\)/],
    ['an id2label that disagrees with K', [brokenCopy(editConfig('config.json', (c) => (c.id2label['8'] = 'pink hexagon')))], /returns 8 logits per image but config\.json's id2label names 9 classes/],
    ['a preprocessor config missing fields', [brokenCopy(editConfig('preprocessor_config.json', (c) => delete c.image_std))], /preprocessor_config\.json: missing image_std; /],
    ['logits with NaN', [join(logitsDir, 'nan')], /nan\.npy: row 3 \(.*\) has NaN in column 2 .*logits must be finite/],
    ['a logits file whose class list misses a dataset class', [join(logitsDir, 'seven')], /seven\.json: the model has no class 'blue_circle'/],
    ['a --train-prior of the wrong length', [classifier, '--train-prior', join(logitsDir, 'prior.json')], /prior\.json: has 2 classes but the dataset has 8/],
    ['a label-free run', [classifier, '--label-free'], /--finetuned needs labelled images/],
    ['no such model or prefix', [join(logitsDir, 'nothing')], /--finetuned .*nothing: no such model folder or logits PREFIX/],
  ];
  for (const [what, args, message] of cases) {
    const out = join(temp('gla-bad-'), 'run');
    const r = gla(cache, 'analyze', dataset, '--model', clip, '--out', out, '--finetuned', ...args);
    assert.equal(r.status, 2, `${what}: exit ${r.status}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('gla:'));
    assert.equal(lines.length, 1, `${what}: one error line, got\n${r.stderr}`);
    assert.ok(!/\n\s+at /.test(r.stderr), `${what}: no stack trace`);
    assert.match(lines[0], message, what);
    assert.ok(!existsSync(out), `${what}: no run folder`);
    assert.deepEqual(readdirSync(join(out, '..')), [], `${what}: nothing half-written beside it`);
  }
  rmSync(logitsDir, { recursive: true, force: true });
});

test('--shots K --seeds 1,2,3: one run per seed beside a report of mean ± sd, reusing the embedding cache', () => {
  const cache = temp('gla-cache-');
  const out = join(temp('gla-seeds-'), 'run');
  const r = gla(cache, 'analyze', dataset, '--model', clip, '--shots', '4', '--seeds', '1,2,3', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['report.json', 'seed-1', 'seed-2', 'seed-3']);
  const report = readJson(join(out, 'report.json'));
  const seeds = [1, 2, 3].map((s) => readJson(join(out, `seed-${s}`, 'report.json')));
  assert.deepEqual(report.seeds, [1, 2, 3]);
  assert.deepEqual(seeds.map((s) => s.dataset.seed), [1, 2, 3]);
  // Each seed draws its own shots; an image embedded for one seed is a cache read for the next.
  const images = readJson(join(fixtures, 'shapes-dataset-logits.json')).paths.length;
  assert.ok(seeds.reduce((n, s) => n + s.embeddings.computed, 0) <= images, 'no image is embedded twice');
  assert.ok(seeds[1].embeddings.cached > 0 && seeds[2].embeddings.cached > 0, 'later seeds reuse the cache');
  for (const k of ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']) {
    const values = seeds.map((s) => s.metrics[k].top1);
    const mean = values.reduce((a: number, b: number) => a + b, 0) / 3;
    const sd = Math.sqrt(values.reduce((a: number, v: number) => a + (v - mean) ** 2, 0) / 2);
    assert.ok(Math.abs(report.metrics[k].top1 - mean) < 1e-9 && Math.abs(report.metrics[k].mean.top1 - mean) < 1e-9, k);
    assert.ok(Math.abs(report.metrics[k].sd.top1 - sd) < 1e-9, k);
  }
  assert.match(r.stdout, /mean ± sd over seeds 1, 2, 3/);
  assert.match(r.stdout, /^GLA\s+\d+\.\d% ±\s+\d+\.\d/m);
  // Its seed folders are runs gla classify can use; the combined folder says so.
  const c = gla(cache, 'classify', join(dataset, 'test'), '--run', out, '--out', join(out, '..', 'p.csv'));
  assert.equal(c.status, 2);
  assert.match(c.stderr, /is a seeds run .*pass one of its seed-<s>\/ run folders/);
});
