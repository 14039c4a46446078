// The bias panel's evaluation workbench in real VS Code: the confusion matrix by keyboard, a cell's images in the
// grid, the model picker driving P/R/F1 in the table, the layout at 1400/830/600 px, and the matrix's paint time at
// 100 and 1000 classes (synthetic runs opened from their report.json).
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test as nodeTest } from 'node:test';
import { confusionCounts, evaluationFromPredictions } from '../../client/src/evaluation-data';
import { generatedFixtures } from '../helpers/paths';
import { BiasPanelView } from './bias-panel-view';
import { type CodeServer, createSandbox, glaLog, waitFor, type Sandbox } from './harness';
import { analyzeManifest, closeSession, openSession, showBiasPanelAlone } from './session';
import { withFailureScreenshot, type Workbench } from './workbench';

const fixture = JSON.parse(readFileSync(join(generatedFixtures('e2e-workspace'), 'manifest.json'), 'utf8')) as { shapes: string[] };
const tinyClip = join(generatedFixtures('models'), 'tiny-clip');

/** A run of C classes and `perClass` test images each, written as the engine writes report.json and predictions.csv. */
function syntheticRun(dir: string, C: number, perClass: number): void {
  mkdirSync(dir, { recursive: true });
  const names = Array.from({ length: C }, (_, i) => `class_${String(i).padStart(4, '0')}`);
  const lines = ['path,split,given,zeroShot,debiased,finetuned,ensemble,gla,glaProbability'];
  // A fixed pseudo-random stream (no Math.random): the same run every time.
  let seed = 7;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < perClass; k++) {
      const wrong = () => (next() < 0.3 ? names[Math.floor(next() * C)] : names[c]);
      lines.push(`test/${names[c]}/${k}.jpg,test,${names[c]},${wrong()},${wrong()},${wrong()},${wrong()},${wrong()},${(0.5 + next() / 2).toFixed(6)}`);
    }
  }
  writeFileSync(join(dir, 'predictions.csv'), lines.join('\n') + '\n');
  const models = ['zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla'];
  const per = () => Object.fromEntries(models.map((m) => [m, 0.7]));
  const report = {
    version: 1,
    runId: `synthetic-${C}`,
    model: { id: 'synthetic', dim: 512 },
    dataset: { root: join(dir, 'data'), splits: { train: 0, val: 0, test: C * perClass } },
    labelFree: false,
    evaluatedOn: 'test',
    prior: { temperature: 1, values: names.map(() => 1 / C) },
    metrics: Object.fromEntries(models.map((m) => [m, { top1: 0.7, meanRecall: 0.7, head: 0.7, medium: 0.7, tail: 0.7, nll: 1, ece: 0.1 }])),
    classes: names.map((name) => ({ name, prompt: name, prior: 1 / C, logPrior: -Math.log(C), support: { train: 0, val: 0, test: perClass }, recall: per(), precision: per() })),
    labelIssues: [],
    failed: [],
    timings: {},
  };
  writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
}

describe('the evaluation workbench: confusion matrix, image grid, P/R/F1, paint time', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let runDir: string;
  const test = (name: string, fn: () => Promise<void>) => nodeTest(name, () => withFailureScreenshot(wb, name, fn));

  before(async () => {
    sandbox = createSandbox({ theme: 'light', datasets: ['shapes'] });
    const shapes = join(sandbox.workspace, 'shapes');
    const classes = fixture.shapes.map((c) => `  - folder: ${c}\n`).join('');
    writeFileSync(join(shapes, 'gla.yaml'), `model: ${JSON.stringify(tinyClip)}\nclasses:\n${classes}templates: ["a photo of a {}."]\n`);
    for (const C of [100, 1000]) syntheticRun(join(sandbox.workspace, 'synthetic', `c${C}`), C, C === 100 ? 20 : 50);
    ({ server, wb } = await openSession(sandbox, sandbox.workspace));
    await analyzeManifest(wb, 'shapes/gla.yaml');
    const runs = join(sandbox.workspace, '.gla', 'runs');
    runDir = readdirSync(runs).map((id) => join(runs, id)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    await showBiasPanelAlone(wb);
  });

  after(() => closeSession({ server, wb }, sandbox));

  async function matrixReady(panel: BiasPanelView): Promise<void> {
    await waitFor('the confusion matrix to be drawn', () => panel.frame.evaluate(() => (document.body.dataset.matrixPaintMs ? true : undefined)));
  }

  test('the matrix by keyboard: arrows move the readout, Enter shows that cell’s images, as many as predictions.csv has', async () => {
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    const names: string[] = report.classes.map((c: { name: string }) => c.name);
    const evaluation = evaluationFromPredictions(readFileSync(join(runDir, 'predictions.csv'), 'utf8'), names, report.evaluatedOn)!;
    const counts = confusionCounts(evaluation, 'gla', names.length);
    const panel = await BiasPanelView.find(wb, 'run');
    await matrixReady(panel);
    const matrix = panel.locator('.matrix-scroller');
    await matrix.scrollIntoViewIfNeeded();
    await matrix.focus();
    await matrix.press('Home');
    await matrix.press('PageUp');
    await matrix.press('ArrowDown');
    await matrix.press('ArrowRight');
    await matrix.press('ArrowRight');
    // Row 1 (given names[1]), column 2.
    const readout = ((await panel.locator('.matrix-readout').textContent()) ?? '').trim();
    assert.ok(readout.startsWith(`Given '${names[1]}', GLA predicts '${names[2]}': ${counts[1 * names.length + 2]} image`), readout);
    await matrix.press('ArrowLeft');
    await matrix.press('Enter');
    const title = ((await panel.locator('.grid-title').textContent()) ?? '').trim();
    const n = counts[1 * names.length + 1];
    assert.equal(title, `${names[1]} predicted right by GLA: ${n} ${n === 1 ? 'image' : 'images'} on ${report.evaluatedOn}`);
    await waitFor('the grid’s tiles', async () => ((await panel.locator('.tile').count()) === n ? true : undefined));
    assert.equal(await panel.locator('.tile.wrong').count(), 0, 'the diagonal cell holds only right predictions');
    // The grid by keyboard too: focus moves along the tiles.
    await panel.locator('.tile button').first().focus();
    await panel.locator('.tile button').first().press('ArrowRight');
    const focused = await panel.frame.evaluate(() => (document.activeElement?.closest('.tile') as HTMLElement | null)?.dataset.position);
    assert.equal(focused, n > 1 ? '1' : '0');
  });

  test('the model picker: the table’s P, R and F1 follow it, and equal report.json’s precision and recall', async () => {
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    const panel = await BiasPanelView.find(wb, 'run');
    await panel.locator('.toolbar select').selectOption('zeroShot');
    await waitFor('the evaluation section to follow', async () => ((await panel.locator('.evaluation-head select').inputValue()) === 'zeroShot' ? true : undefined));
    // The table repaints on the model change: read it once it has rows again.
    const rows = await waitFor('the table’s rows', async () => {
      const read = await panel.frame.$$eval('.rows .row', (els) => els.map((e) => ({ name: e.querySelector('.name')?.textContent ?? '', p: e.querySelector('.c-precision')?.textContent ?? '', r: e.querySelector('.c-recall-n')?.textContent ?? '' })));
      return read.length > 0 ? read : undefined;
    });
    const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(0)}%`);
    for (const row of rows) {
      const c = report.classes.find((x: { name: string }) => x.name === row.name);
      assert.equal(row.p, pct(c.precision.zeroShot), `${row.name} precision`);
      assert.equal(row.r, pct(c.recall.zeroShot), `${row.name} recall`);
    }
    const title = ((await panel.locator('.grid-title').textContent()) ?? '').trim();
    assert.match(title, /by zero-shot|under zero-shot/);
    await panel.locator('.toolbar select').selectOption('gla');
  });

  for (const width of [1400, 830, 600]) {
    test(`at ${width} px the workbench fits: no horizontal scrolling, the matrix and grid inside the page`, async () => {
      await wb.page.setViewportSize({ width: width + 48, height: 1400 });
      const panel = await BiasPanelView.find(wb, 'run');
      await panel.locator('.evaluation').scrollIntoViewIfNeeded();
      await new Promise((r) => setTimeout(r, 600));
      const layout = await panel.frame.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const right = (sel: string) => Math.max(0, ...Array.from(document.querySelectorAll(sel)).map((e) => e.getBoundingClientRect().right));
        return { vw, overflow: document.documentElement.scrollWidth - vw, matrix: right('.matrix-scroller'), grid: right('.grid-viewport'), pairs: right('.pair-button') };
      });
      assert.equal(layout.overflow, 0, `no horizontal scrolling at ${width} px`);
      for (const k of ['matrix', 'grid', 'pairs'] as const) assert.ok(layout[k] <= layout.vw + 0.5, `${k} ends at ${layout[k]} of ${layout.vw}`);
      await wb.screenshot(`evaluation-workbench-${width}`);
    });
  }

  for (const C of [100, 1000]) {
    test(`the confusion matrix of ${C} classes: its paint time from asking for its data (target ≤ 300 ms)`, async () => {
      await wb.page.setViewportSize({ width: 1400, height: 1000 });
      await wb.runCommand('View: Close All Editors');
      await wb.runCommand('GLA: Open Bias Profile…');
      await wb.answerFileDialog(join(sandbox.workspace, 'synthetic', `c${C}`, 'report.json'), 'Open Bias Profile');
      const panel = await BiasPanelView.find(wb, 'run', new RegExp(`synthetic-${C}`));
      await matrixReady(panel);
      const line = await waitFor(`the matrix paint of ${C} classes in the GLA log`, () => glaLog(sandbox).match(new RegExp(`confusion matrix painted ([\\d.]+) ms after asking for its data \\(${C} classes, (\\d+) images; data ([\\d.]+) ms, (\\d+) cells drawn\\)`)) ?? undefined);
      const ms = Number(line[1]);
      console.log(JSON.stringify({ figure: `panel.confusion_matrix_paint_ms.c${C}`, value: ms, images: Number(line[2]), data_ms: Number(line[3]), cells_drawn: Number(line[4]), target: 300 }));
      assert.equal(Number(line[2]), C * (C === 100 ? 20 : 50));
      if (C === 100) assert.equal(Number(line[4]), C * C, 'up to 100 classes every cell is drawn');
      else assert.ok(Number(line[4]) < C * C / 100, `a window of the matrix is drawn: ${line[4]} cells`);
      // The 50 000 rows travel as typed arrays, without paths or confidences (those follow the paint). The figure
      // above is the one held against the 300 ms target; the bound leaves a shared CI machine half as much again.
      assert.ok(ms <= (C === 100 ? 300 : 450), `the matrix took ${ms} ms (target ≤ 300 ms; data ${line[3]} ms)`);
      await panel.locator('.evaluation').scrollIntoViewIfNeeded();
      await wb.screenshot(`evaluation-matrix-${C}-classes`);
    });
  }
});
