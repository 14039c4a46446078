import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, generatedFixtures } from '../helpers/paths';
import { treeDigest } from '../helpers/tree-digest';

const datasets = generatedFixtures('analyze-datasets');
const model = join(generatedFixtures('models'), 'tiny-clip');
const expected = JSON.parse(readFileSync(join(datasets, 'imagefolder.json'), 'utf8')) as { planted: { path: string; actual: string }[]; bad: string[]; classes: string[] };

function gla(env: NodeJS.ProcessEnv, cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', cwd, env: { ...process.env, ...env } });
}

function fresh(): { cache: string; work: string } {
  return { cache: mkdtempSync(join(tmpdir(), 'gla-cache-')), work: mkdtempSync(join(tmpdir(), 'gla-work-')) };
}

function readReport(runDir: string): any {
  return JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
}

test('an ImageFolder with spaces, Unicode, a long tail, bad files and planted label errors', () => {
  const { cache, work } = fresh();
  const dataset = join(work, 'data');
  cpSync(join(datasets, 'imagefolder'), dataset, { recursive: true });
  const before = treeDigest(dataset);
  const r = gla({ GLA_CACHE_DIR: cache }, work, 'analyze', dataset, '--model', model);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(treeDigest(dataset), before, 'the dataset folder is never written to');
  const runs = readdirSync(join(work, '.gla', 'runs'));
  assert.equal(runs.length, 1);
  const runDir = join(work, '.gla', 'runs', runs[0]);
  const report = readReport(runDir);
  // The pinned fields.
  for (const key of ['version', 'model', 'dataset', 'labelFree', 'prior', 'metrics', 'classes', 'labelIssues', 'failed', 'timings']) assert.ok(key in report, key);
  assert.deepEqual(Object.keys(report.model).slice(0, 2), ['id', 'dim']);
  // The templates the zero-shot head used are recorded, as run.json (for gla classify) has them, so two runs can name a template change.
  assert.ok(Array.isArray(report.templates) && report.templates.length > 0 && report.templates.every((t: unknown) => typeof t === 'string' && t.includes('{}')), JSON.stringify(report.templates));
  assert.deepEqual(report.templates, JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')).templates);
  assert.deepEqual(Object.keys(report.dataset.splits), ['train', 'val', 'test']);
  for (const k of ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']) {
    for (const m of ['top1', 'meanRecall', 'head', 'medium', 'tail', 'nll', 'ece']) assert.equal(typeof report.metrics[k][m], 'number', `${k}.${m}`);
  }
  // Classes in ImageFolder order: sorted by code point.
  assert.deepEqual(report.classes.map((c: any) => c.name), [...expected.classes].sort());
  for (const c of report.classes) {
    for (const key of ['name', 'prompt', 'prior', 'logPrior', 'support', 'recall', 'precision']) assert.ok(key in c, key);
    assert.ok(Math.abs(Math.log(c.prior) - c.logPrior) < 1e-6);
  }
  const byName = (name: string) => report.classes.find((c: any) => c.name === name);
  assert.equal(byName('red circle').prompt, 'red circle');
  assert.equal(byName('blue_square').prompt, 'blue square', 'underscores become spaces in prompts');
  assert.ok(Math.abs(report.prior.values.reduce((a: number, b: number) => a + b, 0) - 1) < 1e-6);
  // The probe separates separable classes; GLA is not below it beyond noise.
  assert.ok(report.metrics.finetuned.top1 >= 0.8, `probe top-1 ${report.metrics.finetuned.top1}`);
  assert.ok(report.metrics.gla.top1 >= report.metrics.finetuned.top1 - 0.05);
  // At least 2 of the 3 planted errors, no more than 20 flagged.
  const flagged = report.labelIssues.map((i: any) => i.path);
  const caught = expected.planted.filter((p) => flagged.includes(p.path));
  assert.ok(caught.length >= 2, `caught ${caught.length}: ${flagged}`);
  assert.ok(flagged.length <= 20);
  for (const p of caught) assert.equal(report.labelIssues.find((i: any) => i.path === p.path).suggested, p.actual);
  // Bad files are reported with reasons.
  assert.deepEqual(report.failed.map((f: any) => f.path).sort(), [...expected.bad].sort());
  // predictions.csv: a row per analysed image.
  const csv = readFileSync(join(runDir, 'predictions.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'path,split,given,zeroShot,debiased,finetuned,ensemble,gla,glaProbability,zeroShotProbability,debiasedProbability,finetunedProbability,ensembleProbability');
  assert.equal(csv.length - 1, report.dataset.splits.train + report.dataset.splits.val + report.dataset.splits.test - expected.bad.length);
  // A rerun computes no embedding: everything comes from the cache.
  const again = gla({ GLA_CACHE_DIR: cache }, work, 'analyze', dataset, '--model', model, '--out', join(work, 'again'), '--json');
  assert.equal(again.status, 0, again.stderr);
  const second = JSON.parse(again.stdout);
  assert.equal(second.embeddings.computed, 0);
  assert.equal(second.embeddings.cached, report.embeddings.computed);
  assert.deepEqual(second.metrics, report.metrics);
  // Apply the run to new images.
  const out = join(work, 'new.csv');
  const c = gla({ GLA_CACHE_DIR: cache }, work, 'classify', join(dataset, 'test'), '--run', runDir, '--out', out);
  assert.equal(c.status, 0, c.stderr);
  const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1);
  const correct = rows.filter((row) => row.split(',')[0].split('/')[0] === row.split(',')[6]).length;
  assert.ok(correct / rows.length >= 0.8, `classify agrees with the folders on ${correct}/${rows.length}`);
});

test('without split folders: a seeded stratified split the report records', () => {
  const { cache, work } = fresh();
  const r = gla({ GLA_CACHE_DIR: cache }, work, 'analyze', join(datasets, 'no-splits'), '--model', model, '--seed', '3', '--out', join(work, 'run'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.dataset.splitSource, 'seeded');
  assert.equal(report.dataset.seed, 3);
  assert.deepEqual(report.dataset.splits, { train: 36, val: 12, test: 12 });
  const again = JSON.parse(gla({ GLA_CACHE_DIR: cache }, work, 'analyze', join(datasets, 'no-splits'), '--model', model, '--seed', '3', '--out', join(work, 'run2'), '--json').stdout);
  assert.deepEqual(again.metrics, report.metrics, 'the same seed gives the same split and results');
  const shots = JSON.parse(gla({ GLA_CACHE_DIR: cache }, work, 'analyze', join(datasets, 'no-splits'), '--model', model, '--shots', '2', '--out', join(work, 'run3'), '--json').stdout);
  assert.equal(shots.dataset.splitSource, 'shots');
  assert.deepEqual(shots.dataset.splits, { train: 8, val: 8, test: 12 });
});

test('label-free: classes from gla.yaml, no class folders, a prediction for every image', () => {
  const { cache, work } = fresh();
  // Asked for, never inferred: without --label-free the missing class folders are gla.yaml's errors.
  const refused = gla({ GLA_CACHE_DIR: cache }, work, 'analyze', join(datasets, 'label-free'), '--model', model, '--out', join(work, 'run'));
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /none of the 4 class folders gla\.yaml lists exist.*run label-free \(--label-free\)/);
  const r = gla({ GLA_CACHE_DIR: cache }, work, 'analyze', join(datasets, 'label-free'), '--model', model, '--label-free', '--out', join(work, 'run'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.labelFree, true);
  assert.equal(report.metrics.gla, null);
  const rows = readFileSync(join(work, 'run', 'predictions.csv'), 'utf8').trim().split('\n');
  assert.equal(rows.length - 1, 24);
  assert.ok(rows.slice(1).every((row) => row.split(',')[4] !== ''), 'every image has a debiased prediction');
});

test('a CSV manifest and precomputed embeddings from gla embed', () => {
  const { cache, work } = fresh();
  const csv = join(datasets, 'csv', 'labels.csv');
  const r = gla({ GLA_CACHE_DIR: cache }, work, 'analyze', csv, '--model', model, '--out', join(work, 'run'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.dataset.splitSource, 'csv');
  assert.deepEqual(report.dataset.splits, { train: 21, val: 6, test: 9 });
  const prefix = join(work, 'emb');
  assert.equal(gla({ GLA_CACHE_DIR: cache }, work, 'embed', '--model', model, join(datasets, 'csv', 'images'), '--out', prefix).status, 0);
  const p = gla({ GLA_CACHE_DIR: mkdtempSync(join(tmpdir(), 'gla-cache-')) }, work, 'analyze', csv, '--model', model, '--embeddings', prefix, '--out', join(work, 'run2'), '--json');
  assert.equal(p.status, 0, p.stderr);
  const pre = JSON.parse(p.stdout);
  assert.equal(pre.embeddings.computed, 0);
  assert.deepEqual(pre.metrics, report.metrics);
});

test('Ctrl-C cancels cleanly: no half-written run, and the cache stays usable', async () => {
  const { cache, work } = fresh();
  const child = spawn(process.execPath, [cliPath, 'analyze', join(datasets, 'imagefolder'), '--model', model, '--batch-size', '1'], { cwd: work, env: { ...process.env, GLA_CACHE_DIR: cache } });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (/embedding \d+\/\d+/.test(stderr) && !child.killed) child.kill("SIGINT");
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /cancelled/);
  const runs = join(work, '.gla', 'runs');
  assert.deepEqual(existsSync(runs) ? readdirSync(runs) : [], [], 'no run folder, partial or not');
  const r = gla({ GLA_CACHE_DIR: cache }, work, 'analyze', join(datasets, 'imagefolder'), '--model', model, '--json');
  assert.equal(r.status, 0, r.stderr);
});

test('bad datasets: one clear line each', () => {
  const { cache, work } = fresh();
  const cases: [string, RegExp][] = [
    [join(datasets, 'single'), /only one class \('only'\)/],
    [join(work, 'missing'), /no such dataset folder or file/],
    [work, /no class folders found/],
  ];
  for (const [path, pattern] of cases) {
    const r = gla({ GLA_CACHE_DIR: cache }, work, 'analyze', path, '--model', model);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('•')).length, 1, r.stderr);
  }
});
