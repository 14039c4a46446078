// predictions.csv carries every model's probability of its own prediction (the panel's image grid shows them), and
// the panel's confusion matrix, built from its predictions, gives back report.json's per-class precision and recall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confusionCounts, evaluationFromPredictions, perClassScores } from '../../client/src/evaluation-data';
import { parseCsv } from '../../server/src/store/csv';
import { cliPath, generatedFixtures } from '../helpers/paths';

const MODELS = ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla'] as const;
const model = join(generatedFixtures('models'), 'tiny-clip');

function gla(cwd: string, cache: string, ...args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', cwd, env: { ...process.env, GLA_CACHE_DIR: cache } });
}

function analyzed(): { work: string; cache: string; dataset: string; runDir: string; report: any; csv: string } {
  const work = mkdtempSync(join(tmpdir(), 'gla-work-'));
  const cache = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const dataset = join(work, 'data');
  cpSync(join(generatedFixtures('analyze-datasets'), 'imagefolder'), dataset, { recursive: true });
  const r = gla(work, cache, 'analyze', dataset, '--model', model);
  assert.equal(r.status, 0, r.stderr);
  const runDir = join(work, '.gla', 'runs', readdirSync(join(work, '.gla', 'runs'))[0]);
  return { work, cache, dataset, runDir, report: JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')), csv: readFileSync(join(runDir, 'predictions.csv'), 'utf8') };
}

function table(csv: string): Map<string, Record<string, string>> {
  const [header, ...rows] = parseCsv(csv);
  return new Map(rows.map((r) => [r[0], Object.fromEntries(header.map((h, i) => [h, r[i]]))]));
}

test('predictions.csv: each model has a probability column, equal to gla classify’s from whole logits', () => {
  const run = analyzed();
  const [header] = parseCsv(run.csv);
  assert.deepEqual(header.slice(0, 9), ['path', 'split', 'given', 'zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla', 'glaProbability'], 'the first nine columns stay as they were');
  assert.deepEqual(header.slice(9), ['zeroShotProbability', 'debiasedProbability', 'finetunedProbability', 'ensembleProbability']);
  const out = join(run.work, 'classified.csv');
  const r = gla(run.work, run.cache, 'classify', run.dataset, '--run', run.runDir, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const analyzedRows = table(run.csv);
  const classified = table(readFileSync(out, 'utf8'));
  let compared = 0;
  for (const [path, a] of analyzedRows) {
    const c = classified.get(path);
    assert.ok(c, `gla classify has ${path}`);
    // The run's fine-tuned logits for train images are cross-fitted (out of sample); classify applies the final probe.
    const models = a.split === 'train' ? (['zeroShot', 'debiased'] as const) : MODELS;
    for (const k of models) {
      assert.equal(a[k], c[k], `${path}: ${k} prediction`);
      const pa = Number(a[`${k}Probability`]);
      const pc = Number(c[`${k}Probability`]);
      assert.ok(pa > 0 && pa <= 1, `${path}: ${k} probability ${pa}`);
      // Both are written with six decimals.
      assert.ok(Math.abs(pa - pc) <= 2e-6, `${path}: ${k} probability ${pa} (analyze) vs ${pc} (classify)`);
      compared++;
    }
  }
  assert.ok(compared > analyzedRows.size * 2, `${compared} probabilities compared`);
});

test('the confusion matrix from predictions.csv gives back report.json’s precision and recall, per class and model', () => {
  const run = analyzed();
  const names: string[] = run.report.classes.map((c: any) => c.name);
  const evaluation = evaluationFromPredictions(run.csv, names, run.report.evaluatedOn);
  assert.ok(evaluation);
  assert.deepEqual(evaluation.models, [...MODELS]);
  assert.equal(evaluation.unknownNames, 0);
  const C = names.length;
  for (const k of MODELS) {
    const counts = confusionCounts(evaluation, k, C);
    const total = counts.reduce((s, n) => s + n, 0);
    // support.test counts the split's files, the unreadable ones (report.failed) too; those have no prediction.
    const support = run.report.classes.reduce((s: number, c: any) => s + c.support.test, 0);
    const unreadable = run.report.failed.filter((f: any) => f.path.startsWith('test/')).length;
    assert.ok(unreadable > 0, 'the fixture has unreadable test files');
    assert.equal(total, support - unreadable, `${k}: every readable test image is counted once`);
    const scores = perClassScores(counts, C);
    run.report.classes.forEach((c: any, i: number) => {
      const near = (a: number | null, b: number | null, what: string) => assert.ok(a === b || (a !== null && b !== null && Math.abs(a - b) <= 1e-9), `${c.name} ${k} ${what}: matrix ${a}, report ${b}`);
      near(scores.recall[i], c.recall[k], 'recall');
      near(scores.precision[i], c.precision[k], 'precision');
    });
    // Top-1 is the diagonal’s share (report.json keeps 10 significant digits).
    let diagonal = 0;
    for (let i = 0; i < C; i++) diagonal += counts[i * C + i];
    assert.ok(Math.abs(diagonal / total - run.report.metrics[k].top1) <= 1e-9, `${k} top-1`);
  }
});
