// What the bias panel draws, from a run's report.json and predictions.csv or from a bias profile: numbers carried
// over, gaps named, image paths kept inside the dataset; and the CSV export, the gla.yaml class lookup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFixtures, repoRoot, sharedDir } from '../helpers/paths';

import * as data from '../../client/src/bias-panel-data';
import { classTableCsv } from '../../client/src/bias-table-csv';
import { csvLine, parseCsv } from '../../client/src/csv-text';
import { datasetFile } from '../../client/src/dataset-file';
import { findClassInManifest } from '../../client/src/manifest-class-line';
import { suggestedPath } from '../../client/src/label-fix';

const fixtureReport = () => JSON.parse(readFileSync(join(generatedFixtures('e2e-workspace'), 'runs', 'fixture-run', 'report.json'), 'utf8'));
const src = (p: string): string => `webview:${p}`;

test("a run's classes carry report.json's numbers; head/medium/tail and top-1 come from its metrics", () => {
  const report = fixtureReport();
  const d = data.panelDataFromReport({ report, predictionsCsv: 'path,split,given,zeroShot,debiased,finetuned,gla,glaProbability\n', imageSrc: src, canRevealClasses: true });
  assert.equal(d.kind, 'run');
  assert.equal(d.classes.length, report.classes.length);
  report.classes.forEach((c: any, i: number) => {
    const p = d.classes[i];
    assert.equal(p.name, c.name);
    assert.equal(p.prior, c.prior);
    assert.equal(p.bias, c.bias);
    assert.equal(p.group, c.group);
    // The fixture predates the naive ensemble: it reads as null.
    assert.deepEqual(p.recall, { ...c.recall, ensemble: null });
    assert.deepEqual(p.support, c.support);
    // The Problems view's rule: biased against at bias ≤ −1 nat, else prompts miss it at GLA recall ≥ zero-shot + 0.2.
    const expected = c.bias <= -1 ? 'biased-against' : c.recall.gla - c.recall.zeroShot >= 0.2 - 1e-9 ? 'prompt-miss' : null;
    assert.equal(p.finding, expected, c.name);
  });
  assert.equal(d.top1!.gla, report.metrics.gla.top1);
  assert.equal(d.groups.tail.recall!.zeroShot, report.metrics.zeroShot.tail);
  const mass = (g: string) => report.classes.filter((c: any) => c.group === g).reduce((s: number, c: any) => s + c.prior, 0);
  assert.ok(Math.abs(d.groups.head.priorMass! - mass('head')) < 1e-12);
  assert.equal(d.groups.head.classes + d.groups.medium.classes + d.groups.tail.classes, report.classes.length);
  assert.deepEqual(d.missing, []);
  assert.equal(d.canRevealClasses, true);
  // An older report: no ensemble (left out, not shown as n/a), no report.finetuned (the probe), one seed.
  assert.deepEqual(d.models, ['zeroShot', 'debiased', 'finetuned', 'gla']);
  assert.equal(d.modelLabels.finetuned, 'fine-tuned (probe)');
  assert.equal(d.modelLabels.ensemble, 'naive ensemble');
  assert.equal(d.top1!.ensemble, null);
  assert.equal(d.top1Sd, null);
});

/** The e2e fixture's report as this version writes it: the naive ensemble, the user's own model, a seeds run. */
function fiveModelReport(): any {
  const report = fixtureReport();
  report.finetuned = { source: 'model', path: '/models/vit-shapes', sha256: '0'.repeat(64), name: 'vit-shapes' };
  report.seeds = [1, 2, 3];
  const sd = { top1: 0.021, meanRecall: 0.02, head: null, medium: null, tail: null, nll: 0.1, ece: 0.01 };
  for (const k of ['zeroShot', 'debiased', 'finetuned', 'gla']) report.metrics[k] = { ...report.metrics[k], mean: report.metrics[k], sd: { ...sd, top1: k === 'gla' ? 0.013 : sd.top1 } };
  report.metrics.ensemble = { ...report.metrics.gla, top1: 0.7125, head: 0.5, medium: 0.625, tail: 0.25, mean: report.metrics.gla, sd: { ...sd, top1: 0.034 } };
  report.classes.forEach((c: any, i: number) => {
    c.recall.ensemble = i === 0 ? null : 0.5 + i / 100;
    c.precision.ensemble = 0.4 + i / 100;
  });
  return report;
}

test('five models: the naive ensemble between fine-tuned and GLA, the fine-tuned one by its name, top-1 ± sd over seeds', () => {
  const report = fiveModelReport();
  const d = data.panelDataFromReport({ report, predictionsCsv: 'path,split,given,zeroShot,debiased,finetuned,gla,glaProbability\n', imageSrc: src, canRevealClasses: true });
  assert.deepEqual(d.models, ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']);
  assert.deepEqual(d.modelLabels, { zeroShot: 'zero-shot', debiased: 'debiased', finetuned: 'fine-tuned (vit-shapes)', ensemble: 'naive ensemble', gla: 'GLA' });
  assert.equal(d.top1!.ensemble, 0.7125);
  assert.equal(d.top1!.gla, report.metrics.gla.top1);
  assert.equal(d.top1Sd!.ensemble, 0.034);
  assert.equal(d.top1Sd!.gla, 0.013);
  assert.equal(d.groups.head.recall!.ensemble, 0.5);
  assert.equal(d.groups.tail.recall!.ensemble, 0.25);
  report.classes.forEach((c: any, i: number) => {
    assert.deepEqual(d.classes[i].recall, c.recall);
    assert.equal(d.classes[i].precision!.ensemble, c.precision.ensemble);
  });
  assert.equal(d.classes[0].recall!.ensemble, null, 'a class the ensemble could not be scored on is n/a');
  assert.match(d.source, /mean ± sd over 3 seeds/);
  assert.deepEqual(d.missing, []);

  // A report with the ensemble's metrics but nothing per class still shows it; a nameless finetuned is the probe.
  const sparse = fixtureReport();
  sparse.metrics.ensemble = { ...sparse.metrics.gla, top1: 0.6 };
  sparse.finetuned = { source: 'probe' };
  const s = data.panelDataFromReport({ report: sparse, predictionsCsv: '', imageSrc: src, canRevealClasses: false });
  assert.deepEqual(s.models, ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']);
  assert.equal(s.modelLabels.finetuned, 'fine-tuned (probe)');
  assert.equal(s.classes[0].recall!.ensemble, null);
  assert.equal(s.top1Sd, null, 'no sd without seeds');

  // A bias profile has no models to compare.
  const profile = data.panelDataFromProfile({ classes: ['x', 'y'], prior: [0.25, 0.75] }, 'p.json');
  assert.equal(profile.top1, null);
  assert.equal(profile.top1Sd, null);
});

test('a report with NaN, missing and wrong-typed fields renders what it can and says what is missing', () => {
  const text = JSON.stringify({
    runId: 'broken',
    dataset: { root: '/data' },
    classes: [
      { name: 'cat', prior: 0.5, bias: 'PLACEHOLDER', recall: { zeroShot: 0.5, gla: 0.9 }, support: { train: 3, val: 1, test: 2 } },
      { name: 'dog', logPrior: Math.log(0.3), support: { train: 3, val: 1, test: 2 } },
      { prior: null, recall: 'nope' },
    ],
  }).replace('"PLACEHOLDER"', 'NaN');
  assert.throws(() => JSON.parse(text), 'Python writes NaN; plain JSON.parse refuses it');
  const { json, nonFinite } = data.parseLenientJson(text);
  assert.equal(nonFinite, true);
  const d = data.panelDataFromReport({ report: json, nonFinite, imageSrc: src, canRevealClasses: false });
  const [cat, dog, third] = d.classes;
  assert.equal(cat.prior, 0.5);
  assert.ok(Math.abs(cat.bias! - Math.log(3 * 0.5)) < 1e-12, 'bias from q when the report has none');
  assert.ok(Math.abs(dog.prior! - 0.3) < 1e-12, 'q from log q');
  assert.equal(dog.recall, null);
  assert.equal(third.name, 'class 3');
  assert.equal(third.prior, null);
  assert.equal(third.bias, null);
  assert.equal(third.support, null);
  // q = 0.5 of 3 classes favours the cat (+0.41 nats): its finding is the prompts, never "biased against".
  assert.equal(cat.finding, 'prompt-miss', 'GLA recall 0.4 above zero-shot');
  // Groups the report lacks are thirds by q; a class without q has none.
  assert.deepEqual(d.classes.map((c: any) => c.group), ['head', 'tail', null]);
  assert.deepEqual(d.top1, { zeroShot: null, debiased: null, finetuned: null, ensemble: null, gla: null });
  for (const expected of [
    /NaN or Infinity/,
    /no metrics/,
    /predictions\.csv is missing/,
    /^1 class has no name/,
    /^1 class has no q/,
    /^1 class has no support/,
    /^2 classes have no recall/,
  ]) {
    assert.ok(d.missing.some((m: string) => expected.test(m)), `${expected} in ${JSON.stringify(d.missing)}`);
  }
  // Strings that merely contain the words stay as they are.
  assert.deepEqual(data.parseLenientJson('{"name": "NaN Infinity", "v": -Infinity}').json, { name: 'NaN Infinity', v: null });
  assert.throws(() => data.parseLenientJson('{"v": nope}'));
});

test('misclassified images: GLA ≠ given on the evaluated split, most confident first, quoted paths intact', () => {
  const csv = [
    'path,split,given,zeroShot,debiased,finetuned,gla,glaProbability',
    'train/a/1.png,train,a,b,b,b,b,0.9',
    'test/a/2.png,test,a,a,a,a,a,0.8',
    'test/a/3.png,test,a,b,b,b,b,0.6',
    '"test/a/4, ""odd"".png",test,a,c,c,c,c,0.95',
    'test/b/5.png,test,,a,a,a,a,0.7',
  ].join('\n');
  const wrong = data.misclassifiedImages(csv, 'test', src);
  assert.deepEqual(wrong.map((w) => [w.path, w.given, w.other, w.confidence]), [
    ['test/a/4, "odd".png', 'a', 'c', 0.95],
    ['test/a/3.png', 'a', 'b', 0.6],
  ]);
  // Without a test split the metrics are cross-validated over every labelled image.
  assert.equal(data.misclassifiedImages(csv, 'cross-validated (no test split)', src).length, 3);
  // Columns are found by name: the naive ensemble's, before GLA's, changes nothing.
  const withEnsemble = parseCsv(csv)
    .map((fields, i) => csvLine([...fields.slice(0, 6), i === 0 ? 'ensemble' : 'x', ...fields.slice(6)]))
    .join('\n');
  assert.deepEqual(data.misclassifiedImages(withEnsemble, 'test', src), wrong);
  const report = { ...fixtureReport(), labelIssues: [{ path: 'train/x.png', given: 'red_circle', suggested: 'blue_square', confidence: 0.7 }] };
  const d = data.panelDataFromReport({ report, predictionsCsv: csv, imageSrc: src, canRevealClasses: true });
  assert.equal(d.images.totalMisclassified, 2);
  assert.equal(d.images.predictionsAvailable, true);
  assert.deepEqual(d.images.labelIssues, [{ path: 'train/x.png', src: 'webview:train/x.png', given: 'red_circle', other: 'blue_square', confidence: 0.7 }]);
  assert.equal(d.classes.find((c: any) => c.name === 'red_circle')!.labelIssues, 1);
});

test("CLIP's ImageNet prior as a bias profile: 1000 classes, q renormalised, bias = log(C·q), thirds by q", () => {
  const profile = JSON.parse(readFileSync(join(sharedDir, 'reference', 'imagenet-clip-vitb16-prior.json'), 'utf8'));
  assert.equal(data.isBiasProfile(profile), true);
  assert.equal(data.isRunReport(profile), false);
  assert.equal(data.isRunReport(fixtureReport()), true);
  assert.equal(data.isBiasProfile(fixtureReport()), false);
  // As released, the vector summed to 0.8041: the panel renormalises and says so.
  const released = { ...profile, prior: profile.prior.map((q: number) => q * 0.8041) };
  const d = data.panelDataFromProfile(released, 'q.json');
  assert.equal(d.kind, 'profile');
  assert.equal(d.classes.length, 1000);
  const sum = profile.prior.reduce((a: number, b: number) => a + b, 0);
  d.classes.forEach((c: any, i: number) => {
    const q = profile.prior[i] / sum;
    assert.ok(Math.abs(c.prior - q) <= 1e-12 * q + 1e-18, c.name);
    assert.ok(Math.abs(c.bias - Math.log(1000 * q)) <= 1e-9, c.name);
    assert.equal(c.recall, null);
  });
  assert.deepEqual([d.groups.head.classes, d.groups.medium.classes, d.groups.tail.classes], [333, 334, 333]);
  const ranked = [...d.classes].sort((a: any, b: any) => b.prior - a.prior);
  assert.ok(ranked.slice(0, 333).every((c: any) => c.group === 'head'));
  assert.ok(ranked.slice(-333).every((c: any) => c.group === 'tail'));
  assert.deepEqual(d.missing, ['the prior summed to 0.8041; shown renormalised to 1']);
  assert.equal(d.canRevealClasses, false);
  assert.deepEqual(data.panelDataFromProfile(profile, 'q.json').missing, [], 'the shared file is already normalised');
});

test('the CSV export: the given rows in order, full precision, names quoted, formulas defused', () => {
  const report = fixtureReport();
  report.classes[0].name = 'a, "quoted" name';
  report.classes[1].name = '=HYPERLINK("x")';
  const d = data.panelDataFromReport({ report, predictionsCsv: '', imageSrc: src, canRevealClasses: true });
  const rows = [2, 0, 1];
  const text = classTableCsv(d, rows);
  assert.doesNotMatch(text, /(^|,)"?=/m, 'no cell starts with = as written');
  const parsed = parseCsv(text);
  const [header, ...lines] = parsed;
  assert.deepEqual(header.slice(0, 7), ['class', 'prompt', 'group', 'q', 'log_q', 'bias_nats', 'finding']);
  rows.forEach((i, j) => assert.equal(lines[j][6], d.classes[i].finding ?? '', 'the finding in the panel\'s words'));
  assert.equal(lines.length, 3);
  assert.deepEqual(lines.map((l) => l[0]), [report.classes[2].name, 'a, "quoted" name', '=HYPERLINK("x")']);
  rows.forEach((i, j) => {
    const c = report.classes[i];
    const l = lines[j];
    assert.equal(Number(l[header.indexOf('q')]), c.prior);
    assert.equal(Number(l[header.indexOf('bias_nats')]), c.bias);
    assert.equal(Number(l[header.indexOf('recall_zeroShot')]), c.recall.zeroShot);
    assert.ok(Math.abs(Number(l[header.indexOf('recall_gain_gla')]) - (c.recall.gla - c.recall.zeroShot)) < 1e-12);
    assert.equal(Number(l[header.indexOf('support_test')]), c.support.test);
  });
  // Every model has its recall and precision column, the naive ensemble included (empty where a report lacks it).
  const models = ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla'];
  assert.deepEqual(header.filter((h) => h.startsWith('recall_') || h.startsWith('precision_')), [...models.map((k) => `recall_${k}`), 'recall_gain_gla', ...models.map((k) => `precision_${k}`)]);
  assert.ok(lines.every((l) => l[header.indexOf('recall_ensemble')] === '' && l[header.indexOf('precision_ensemble')] === ''));
  const five = fiveModelReport();
  const withEnsemble = parseCsv(classTableCsv(data.panelDataFromReport({ report: five, predictionsCsv: '', imageSrc: src, canRevealClasses: true }), [0, 1]));
  assert.deepEqual(withEnsemble[0], header);
  assert.equal(withEnsemble[1][header.indexOf('recall_ensemble')], '', 'n/a stays empty');
  assert.equal(Number(withEnsemble[2][header.indexOf('recall_ensemble')]), five.classes[1].recall.ensemble);
  assert.equal(Number(withEnsemble[2][header.indexOf('precision_ensemble')]), five.classes[1].precision.ensemble);
  const profile = data.panelDataFromProfile({ classes: ['x', 'y'], prior: [0.25, 0.75] }, 'p.json');
  assert.deepEqual(parseCsv(classTableCsv(profile, [1])), [
    ['class', 'prompt', 'group', 'q', 'log_q', 'bias_nats', 'finding'],
    ['y', '', 'head', '0.75', String(Math.log(0.75)), String(Math.log(1.5)), ''],
  ]);
  assert.deepEqual(parseCsv(`${csvLine(['a\nb', 'c'])}\r\nd,e\n`), [['a\nb', 'c'], ['d', 'e']]);
});

test("a class's gla.yaml line: its folder: value, else by prompt; or why there is none", () => {
  const text = ['model: tiny', 'classes:', '  - folder: red_circle', '    prompt: red circle', '  - folder: "blue: square"', 'templates: ["a {}."]'].join('\n');
  assert.deepEqual(findClassInManifest(text, 'red_circle'), { kind: 'found', range: { start: { line: 2, character: 12 }, end: { line: 2, character: 22 } } });
  const line = (name: string): number | undefined => {
    const found = findClassInManifest(text, name);
    return found.kind === 'found' ? found.range.start.line : undefined;
  };
  assert.equal(line('red circle'), 2);
  assert.equal(line('blue: square'), 4);
  assert.deepEqual(findClassInManifest(text, 'green'), { kind: 'not-listed' });
  assert.deepEqual(findClassInManifest('model: tiny\n', 'red_circle'), { kind: 'no-class-list' });
});

test('images are shown only from inside the dataset folder', () => {
  assert.equal(datasetFile('/data/set', 'train/a/1.png'), '/data/set/train/a/1.png');
  for (const bad of ['../other/x.png', 'train/../../x.png', '/etc/passwd', '', 'a\0b', 'C:/x.png']) assert.equal(datasetFile('/data/set', bad), undefined, bad);
});

test('a suspected label error moves into the suggested class folder of the same split, and only there', () => {
  assert.equal(suggestedPath('train/red_circle/x.png', 'red_circle', 'purple_circle'), 'train/purple_circle/x.png');
  assert.equal(suggestedPath('red circle/y.jpg', 'red circle', 'blue square'), 'blue square/y.jpg');
  assert.equal(suggestedPath('train/other/x.png', 'red_circle', 'blue'), undefined, 'not in the given class folder');
  assert.equal(suggestedPath('x.png', 'red_circle', 'blue'), undefined, 'no class folder');
  assert.equal(suggestedPath('train/a/x.png', 'a', '../b'), undefined, 'a class name cannot climb out');
  assert.equal(suggestedPath('train/a/x.png', 'a', 'a'), undefined);
});

test('a class whose q was not estimated shows q and bias as n/a, not as a bias', () => {
  const report = fixtureReport();
  report.classes[0].priorEstimated = false;
  report.classes[0].bias = -5;
  const d = data.panelDataFromReport({ report, predictionsCsv: '', imageSrc: src, canRevealClasses: true });
  assert.equal(d.classes[0].prior, null);
  assert.equal(d.classes[0].bias, null);
  assert.equal(d.classes[0].finding, null);
  assert.equal(d.classes[1].bias, report.classes[1].bias);
});
