// gla export: the exported ONNX folder reproduces `gla classify`'s logits for every --model, on the sample run, on a
// run whose fine-tuned model is the user's own (merged into one graph) and on one whose classifier takes other pixels
// (two models and a head); it passes onnx.checker, round-trips through --finetuned and classify --model, and bad
// input leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cliPath, generatedFixtures, repoRoot } from '../helpers/paths';
import { readNpy } from '../../server/src/store/npy';
import { parseCsv } from '../../server/src/store/csv';

const work = mkdtempSync(join(tmpdir(), 'gla-export-'));
const env = { ...process.env, GLA_CACHE_DIR: join(work, 'cache') };
const data = join(work, 'shapes');
cpSync(join(repoRoot, 'samples', 'shapes'), data, { recursive: true });

function gla(...args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', cwd: work, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(...args: string[]): string {
  const r = gla(...args);
  assert.equal(r.status, 0, `gla ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
function checker(model: string): void {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)', model], { encoding: 'utf8' });
  assert.equal(r.status, 0, `onnx.checker on ${model}: ${r.stderr}`);
}
const KIND_FILE = { gla: 'gla', debiased: 'debiased', 'zero-shot': 'zeroShot', finetuned: 'finetuned' } as const;

function maxAbsAndTop1(a: ArrayLike<number>, b: ArrayLike<number>, C: number): { max: number; sameTop1: boolean } {
  let max = 0;
  let same = true;
  for (let r = 0; r < a.length / C; r++) {
    let ta = 0;
    let tb = 0;
    for (let k = 0; k < C; k++) {
      max = Math.max(max, Math.abs(a[r * C + k] - b[r * C + k]));
      if (a[r * C + k] > a[r * C + ta]) ta = k;
      if (b[r * C + k] > b[r * C + tb]) tb = k;
    }
    if (ta !== tb) same = false;
  }
  return { max, sameTop1: same };
}

/** The run's own GLA prediction of each test image, from its predictions.csv. */
function runTop1(runDir: string): Map<string, string> {
  const [header, ...rows] = parseCsv(readFileSync(join(runDir, 'predictions.csv'), 'utf8'));
  const [p, s, g] = ['path', 'split', 'gla'].map((c) => header.indexOf(c));
  return new Map(rows.filter((r) => r[s] === 'test').map((r) => [r[p].replace(/^test\//, ''), r[g]]));
}

/** Exports each model of a run and checks its logits against `gla classify --run` on the test images. */
async function checkRun(runDir: string, name: string): Promise<void> {
  const test = join(data, 'test');
  const ref = join(work, `${name}-classify`);
  ok('classify', test, '--run', runDir, '--out', join(work, `${name}-classify.csv`), '--save-logits', ref);
  const refRows = parseCsv(readFileSync(join(work, `${name}-classify.csv`), 'utf8')).slice(1).map((r) => r[0]);
  for (const model of ['gla', 'debiased', 'zero-shot', 'finetuned'] as const) {
    const out = join(work, `${name}-${model}`);
    const summary = JSON.parse(ok('export', runDir, '--out', out, '--model', model, '--json'));
    assert.equal(summary.layout, 'one-graph');
    assert.deepEqual(readdirSync(out).sort(), ['config.json', 'onnx', 'preprocessor_config.json']);
    checker(join(out, 'onnx', 'model.onnx'));
    const csv = join(work, `${name}-${model}.csv`);
    const logitsDir = join(work, `${name}-${model}-logits`);
    ok('classify', test, '--model', out, '--out', csv, '--save-logits', logitsDir);
    const rows = parseCsv(readFileSync(csv, 'utf8')).slice(1);
    assert.deepEqual(rows.map((r) => r[0]), refRows, 'same images in the same order');
    const exported = await readNpy(join(logitsDir, 'logits.npy'));
    const expected = await readNpy(join(ref, `${KIND_FILE[model]}.npy`));
    const { max, sameTop1 } = maxAbsAndTop1(exported.data as Float32Array, expected.data as Float64Array, expected.shape[1]);
    assert.ok(max <= 1e-4, `${name} ${model}: max |exported − classify| = ${max}`);
    assert.ok(sameTop1, `${name} ${model}: top-1 differs from gla classify`);
    if (model === 'gla') {
      const top1 = runTop1(runDir);
      assert.ok(top1.size >= 90);
      for (const r of rows) assert.equal(r[2], top1.get(r[0]), `${r[0]}: the export's top-1 is the run's GLA top-1`);
    }
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(config.gla.model, model);
    assert.equal(Object.keys(config.id2label).length, 8);
    assert.equal(config.label2id[config.id2label['3']], 3);
  }
}

const runA = join(work, 'run-a');
test('the sample run: every --model reproduces gla classify within 1e-4, GLA top-1 exactly', async () => {
  ok('analyze', data, '--out', runA);
  await checkRun(runA, 'a');
});

const runB = join(work, 'run-b');
test('round trip: an export is a --finetuned model; that run exports as one merged graph that reproduces classify', async () => {
  ok('analyze', data, '--out', runB, '--finetuned', join(work, 'a-zero-shot'));
  const report = JSON.parse(readFileSync(join(runB, 'report.json'), 'utf8'));
  assert.equal(report.finetuned.source, 'model');
  await checkRun(runB, 'b');
  // The user's classifier's graph is inside the merged one, names prefixed.
  const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx,sys; g=onnx.load(sys.argv[1]).graph; print(sum(n.name.startswith("classifier/") for n in g.node), sum(n.name.startswith("vision/") for n in g.node))', join(work, 'b-gla', 'onnx', 'model.onnx')], { encoding: 'utf8' });
  const [clf, vision] = r.stdout.trim().split(' ').map(Number);
  assert.ok(clf > 0 && vision > 0, r.stdout + r.stderr);
});

test('fp16 and int8 variants: checker passes, top-1 change against fp32 is reported', () => {
  for (const variant of ['fp16', 'int8']) {
    const out = join(work, `a-${variant}`);
    const summary = JSON.parse(ok('export', runA, '--out', out, '--variant', variant, '--json'));
    assert.equal(summary.variant, variant === 'int8' ? 'quantized' : 'fp16');
    checker(join(out, 'onnx', 'model.onnx'));
    const v = summary.variantCheck;
    assert.equal(v.split, 'test');
    assert.equal(v.images, runTop1(runA).size);
    assert.ok(v.changed >= 0 && v.changed <= v.images);
    assert.ok(v.maxAbsLogitDiff > 0, 'a different tower changes the logits a little');
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).gla.variantCheck, v);
    const line = ok('export', runA, '--out', join(work, `a-${variant}-again`), '--variant', variant);
    assert.match(line, new RegExp(`against fp32 on ${v.images} images \\(test\\): top-1 changed on ${v.changed} `));
  }
});

test('a classifier with other pixels: two models and a head graph that chain to classify\'s GLA logits', async () => {
  const runFt = join(work, 'run-ft');
  const classifier = join(data, 'models', 'shapes-classifier');
  ok('analyze', data, '--out', runFt, '--finetuned', classifier);
  const out = join(work, 'ft-gla');
  const summary = JSON.parse(ok('export', runFt, '--out', out, '--json'));
  assert.equal(summary.layout, 'two-models');
  for (const f of ['vision_model.onnx', 'classifier_model.onnx', 'head.onnx']) checker(join(out, 'onnx', f));
  assert.match(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).gla.layoutNote, /onnx\/head\.onnx/);
  const refusal = gla('classify', join(data, 'test'), '--model', out, '--out', join(work, 'x.csv'));
  assert.notEqual(refusal.status, 0);
  assert.match(refusal.stderr, /two-model export/);
  // Chain them as the note says: the tower's embeddings (gla embed) and the classifier's logits into the head.
  const test = join(data, 'test');
  ok('classify', test, '--run', runFt, '--out', join(work, 'ft.csv'), '--save-logits', join(work, 'ft-ref'));
  ok('classify', test, '--model', classifier, '--out', join(work, 'ft-clf.csv'), '--save-logits', join(work, 'ft-clf'));
  ok('embed', '--model', join(data, 'models', 'tiny-clip'), test, '--out', join(work, 'ft-embeds'));
  const embeds = await readNpy(join(work, 'ft-embeds.npy'));
  const embedPaths = (JSON.parse(readFileSync(join(work, 'ft-embeds.json'), 'utf8')).paths as string[]).map((p) => p.slice(test.length + 1));
  const rows = parseCsv(readFileSync(join(work, 'ft.csv'), 'utf8')).slice(1).map((r) => r[0]);
  assert.deepEqual(parseCsv(readFileSync(join(work, 'ft-clf.csv'), 'utf8')).slice(1).map((r) => r[0]), rows);
  const D = embeds.shape[1];
  const ordered = new Float32Array(rows.length * D);
  rows.forEach((p, r) => ordered.set((embeds.data as Float32Array).subarray(embedPaths.indexOf(p) * D, (embedPaths.indexOf(p) + 1) * D), r * D));
  const clf = await readNpy(join(work, 'ft-clf', 'logits.npy'));
  const session = await ort.InferenceSession.create(join(out, 'onnx', 'head.onnx'));
  const result = await session.run({ image_embeds: new ort.Tensor('float32', ordered, [rows.length, D]), classifier_logits: new ort.Tensor('float32', clf.data as Float32Array, clf.shape) });
  const expected = await readNpy(join(work, 'ft-ref', 'gla.npy'));
  const { max, sameTop1 } = maxAbsAndTop1(result.logits.data as Float32Array, expected.data as Float64Array, 8);
  assert.ok(max <= 1e-4, `two-model chain: max diff ${max}`);
  assert.ok(sameTop1);
});

test('bad input: an older report, a missing artifact, an existing folder, a missing variant, a label-free gla: one line, nothing written', () => {
  const refuse = (runDir: string, pattern: RegExp, ...extra: string[]) => {
    const parent = mkdtempSync(join(work, 'refused-'));
    const out = join(parent, 'export');
    const r = gla('export', runDir, '--out', out, ...extra);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    assert.deepEqual(readdirSync(parent), [], 'nothing half-written beside the target');
  };
  const copy = (name: string) => {
    const dir = join(work, name);
    cpSync(runA, dir, { recursive: true });
    return dir;
  };
  const old = copy('old-run');
  const report = JSON.parse(readFileSync(join(old, 'report.json'), 'utf8'));
  writeFileSync(join(old, 'report.json'), JSON.stringify({ ...report, version: 0 }));
  refuse(old, /report version 0 is not the version 1 .* analyze the dataset again/);
  const noHead = copy('no-head');
  rmSync(join(noHead, 'text-head.npy'));
  refuse(noHead, /text-head\.npy/);
  const noRun = copy('no-run-json');
  rmSync(join(noRun, 'run.json'));
  refuse(noRun, /not a finished run folder \(no run\.json\)/);
  refuse(join(work, 'nowhere'), /not a finished run folder \(no report\.json\)/);
  refuse(runA, /--model best: expected one of gla, debiased, zero-shot, finetuned/, '--model', 'best');
  refuse(runA, /--variant int4: expected fp32, fp16 or quantized/, '--variant', 'int4');
  // A model folder without the fp16 tower.
  const noFp16 = copy('no-fp16');
  const modelCopy = join(work, 'tiny-clip-fp32-only');
  cpSync(join(data, 'models', 'tiny-clip'), modelCopy, { recursive: true });
  rmSync(join(modelCopy, 'onnx', 'vision_model_fp16.onnx'));
  const runJson = JSON.parse(readFileSync(join(noFp16, 'run.json'), 'utf8'));
  writeFileSync(join(noFp16, 'run.json'), JSON.stringify({ ...runJson, model: { ...runJson.model, dir: modelCopy } }));
  refuse(noFp16, /no onnx\/vision_model_fp16\.onnx, so no fp16 variant to export/, '--variant', 'fp16');
  // An existing folder: refused, and left as it was.
  const existing = join(work, 'existing');
  cpSync(join(data, 'gla.yaml'), join(existing, 'keep.txt'), { recursive: true });
  const r = gla('export', runA, '--out', existing);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--out .*existing: the folder exists \(it holds 'keep\.txt'\); give a new folder \(nothing was written\)/);
  assert.deepEqual(readdirSync(existing), ['keep.txt']);
  assert.ok(!readdirSync(work).some((e) => e.includes('.partial-')), 'no partial folder left');
  // A label-free run has no GLA model; its debiased model exports.
  const lfRun = join(work, 'run-lf');
  ok('analyze', join(generatedFixtures('analyze-datasets'), 'label-free'), '--out', lfRun, '--model', join(generatedFixtures('models'), 'tiny-clip'), '--label-free');
  refuse(lfRun, /a label-free run has no fine-tuned model, so no gla model to export; use --model debiased/, '--model', 'gla');
  assert.equal(JSON.parse(ok('export', lfRun, '--out', join(work, 'lf-export'), '--json')).model, 'debiased');
  assert.ok(existsSync(join(work, 'lf-export', 'onnx', 'model.onnx')));
});
