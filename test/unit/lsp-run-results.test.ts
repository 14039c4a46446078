// Run bookkeeping behind the language server: version stamps, the bias thresholds, the run summary.
/// <reference path="../../server/src/types/vscode-languageserver.d.ts" />
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedFixtures } from '../helpers/paths';
import type { ClassReport, Report } from '../../server/src/engine/report';
import { BIAS_THRESHOLDS, biasDiagnostics, findingOf, reportedModels } from '../../server/src/lsp/runs/bias-diagnostics';
import { describeRun } from '../../client/src/run-summary-text';
import { parseManifest } from '../../server/src/dataset/manifest';
import { RunResults, type RunResult } from '../../server/src/lsp/runs/run-results';
import { summarizeRun } from '../../server/src/lsp/runs/run-summary';

function fixtureReport(): Report {
  return JSON.parse(readFileSync(join(generatedFixtures('lsp-dataset'), 'run', 'report.json'), 'utf8')) as Report;
}

function run(stamp: number, runId: string): RunResult {
  return { runDir: `/runs/${runId}`, report: { ...fixtureReport(), runId }, datasetRoot: '/data/shapes', stamp };
}

test('a run that started later is never replaced by one that started earlier', () => {
  const runs = new RunResults();
  const first = runs.startRun();
  const second = runs.startRun();
  assert.ok(second > first);
  assert.equal(runs.offer(run(second, 'b')), true);
  assert.equal(runs.offer(run(first, 'a')), false, 'the earlier run finishing last is dropped');
  assert.equal(runs.get('/data/shapes/')?.report.runId, 'b');
  // A run found on disk (stamp 0) only fills an empty slot.
  assert.equal(runs.offer(run(0, 'disk')), false);
  const fresh = new RunResults();
  assert.equal(fresh.offer(run(0, 'disk')), true);
  assert.equal(fresh.offer(run(0, 'disk-2')), false);
  assert.equal(fresh.offer(run(fresh.startRun(), 'c')), true);
  assert.equal(fresh.get('/data/shapes')?.report.runId, 'c');
});

test('the documented thresholds, at their boundaries', () => {
  assert.deepEqual(BIAS_THRESHOLDS, { bias: -1, recallGap: 0.2 });
  const base = fixtureReport().classes[0];
  const c = (bias: number, zeroShot: number | null, gla: number | null): ClassReport => ({ ...base, bias, recall: { ...base.recall, zeroShot, gla } });
  assert.equal(findingOf(c(-1, 0.9, 0.9)), 'biased-against', 'log(C·q) = −1 nat');
  assert.equal(findingOf(c(-0.999, 0.9, 0.9)), undefined);
  assert.equal(findingOf(c(0, 0.5, 0.7)), 'prompt-miss', 'a 0.2 recall gap');
  assert.equal(findingOf(c(0, 0.5, 0.69)), undefined);
  assert.equal(findingOf(c(0, null, 0.9)), undefined, 'label-free runs have no recall');
  assert.equal(findingOf(c(-1.5, 0, 1)), 'biased-against', 'both: the prior is the finding, the recalls are in its message');
});

test('"biased against" only where q is below uniform: a favoured class the prompts miss says so', () => {
  const report = fixtureReport();
  const C = report.classes.length;
  // q = 0.273 of 4 classes: log(C·q) = +0.09 nats above uniform … and at 8 classes +0.78, the case users met.
  const favoured: ClassReport = { ...report.classes[0], prior: 0.273, logPrior: Math.log(0.273), bias: Math.log(C * 0.273), recall: { ...report.classes[0].recall, zeroShot: 0, gla: 1 } };
  const manifest = parseManifest(`classes:\n  - folder: ${favoured.name}\n`);
  const [finding] = biasDiagnostics({ ...report, classes: [favoured] }, manifest);
  assert.equal(finding.code, 'prompt-misses-class');
  assert.equal(finding.severity, 2, 'a Warning');
  assert.match(String(finding.message), new RegExp(`^CLIP's prompts miss '${favoured.name}': zero-shot recall 0\\.00 vs GLA 1\\.00, although CLIP's prior favours it \\(\\+0\\.09 nats\\)\\.`));
  assert.match(String(finding.message), /prompt:/);
  assert.doesNotMatch(String(finding.message), /biased against/);
  // Every finding that says "biased against" is on a class whose q is below 1/C.
  for (const c of report.classes) {
    const [d] = biasDiagnostics({ ...report, classes: [c] }, parseManifest(`classes:\n  - folder: ${c.name}\n`));
    if (d && /biased against/.test(String(d.message))) assert.ok(c.prior < 1 / C, `${c.name}: q ${c.prior} ≥ 1/C yet "biased against"`);
  }
});

test('the summary of the fixture run', () => {
  const report = fixtureReport();
  const s = summarizeRun('/runs/x', report);
  assert.deepEqual(s, {
    runId: report.runId,
    classes: 4,
    images: 32,
    failed: 0,
    labelIssues: 1,
    labelFree: false,
    // The fixture predates the naive ensemble and report.finetuned: no ensemble top-1, and the probe.
    top1: { zeroShot: 0.5, debiased: 0.6, finetuned: 0.7, ensemble: null, gla: 0.8 },
    finetuned: 'fine-tuned (probe)',
    mostFavoured: ['red circle', 'n04254680', 'grüne Dreiecke'],
    leastFavoured: ['blue_square', 'grüne Dreiecke', 'n04254680'],
    reportPath: join('/runs/x', 'report.json'),
  });
});

test('a class whose q was not estimated is never called biased, and its finding says why', () => {
  const report = fixtureReport();
  const c: ClassReport = { ...report.classes[0], bias: -4, logPrior: -6, prior: Math.exp(-6), priorEstimated: false, recall: { zeroShot: null, debiased: null, finetuned: null, ensemble: null, gla: null } };
  assert.equal(findingOf({ ...c, priorEstimated: undefined }), 'biased-against', 'the same numbers, estimated, are a strong bias');
  assert.equal(findingOf(c), undefined);
  const manifest = parseManifest(`classes:\n  - folder: ${c.name}\n`);
  const [finding] = biasDiagnostics({ ...report, classes: [c] }, manifest);
  assert.equal(finding.code, 'class-bias');
  assert.match(String(finding.message), /q not estimated: no labelled images/);
  assert.doesNotMatch(String(finding.message), /nats|biased against/);
});

test("a class's finding names all five models, the fine-tuned one by its source; an older report has four", () => {
  const report = fixtureReport();
  const manifest = parseManifest(report.classes.map((c) => `- ${JSON.stringify(c.name)}`).join('\n').replace(/^/, 'classes:\n'));
  const old = biasDiagnostics(report, manifest);
  assert.equal(old.length, report.classes.length);
  assert.deepEqual(reportedModels(report), ['zeroShot', 'debiased', 'finetuned', 'gla'], 'no ensemble in a report that predates it');
  for (const d of old) {
    assert.match(String(d.message), /recall zero-shot [\d.]+, debiased [\d.]+, fine-tuned \(probe\) [\d.]+, GLA [\d.]+/);
    assert.doesNotMatch(String(d.message), /ensemble/);
  }

  const five: Report = {
    ...report,
    finetuned: { source: 'model', path: '/models/vit-pets', sha256: 'ab'.repeat(32), name: 'vit-pets' },
    metrics: { ...report.metrics, ensemble: { ...report.metrics.gla!, top1: 0.75 } },
    classes: report.classes.map((c, i) => ({ ...c, recall: { ...c.recall, ensemble: i === 0 ? null : 0.625 } })),
  };
  assert.deepEqual(reportedModels(five), ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla']);
  const found = biasDiagnostics(five, manifest);
  const first = report.classes[0];
  const r = first.recall;
  assert.ok(
    String(found[0].message).includes(`recall zero-shot ${r.zeroShot!.toFixed(2)}, debiased ${r.debiased!.toFixed(2)}, fine-tuned (vit-pets) ${r.finetuned!.toFixed(2)}, naive ensemble n/a, GLA ${r.gla!.toFixed(2)}`),
    String(found[0].message),
  );
  assert.match(String(found[1].message), /fine-tuned \(vit-pets\) [\d.]+, naive ensemble 0\.63, GLA/);

  // The run summary carries the label and the ensemble's top-1; the notification names the baseline.
  const s = summarizeRun('/runs/y', five);
  assert.equal(s.finetuned, 'fine-tuned (vit-pets)');
  assert.equal(s.top1.ensemble, 0.75);
  assert.match(describeRun(s), /top-1 50\.0% zero-shot → 80\.0% with GLA \(naive ensemble 75\.0%\)\./);
  assert.doesNotMatch(describeRun(summarizeRun('/runs/x', report)), /ensemble/, 'an older run says nothing of it');
});
