// GLA: Analyze Dataset from the command palette, with the fixture tiny CLIP, in real VS Code (code-server):
// progress, the summary, bias findings on the class lines in the Problems view, the panel, and Cancel.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test as nodeTest, type TestContext } from 'node:test';
import { runPanelTitle } from '../../client/src/panel-title';
import type { ClassReport, ModelKind, Report } from '../../server/src/engine/report';
import { generatedFixtures } from '../helpers/paths';
import { BiasPanelView, panelNumber } from './bias-panel-view';
import { CodeServer, STATUS_ITEM_SELECTOR, createSandbox, glaLog, waitFor, type Sandbox } from './harness';
import { Workbench, withFailureScreenshot, type Problem } from './workbench';

interface WorkspaceFixture {
  shapes: string[];
  big: string[];
  bigPerClass: number;
}

const fixture = JSON.parse(readFileSync(join(generatedFixtures('e2e-workspace'), 'manifest.json'), 'utf8')) as WorkspaceFixture;
const tinyClip = join(generatedFixtures('models'), 'tiny-clip');

/**
 * The documented findings (server/src/engine/class-findings.ts), each a Warning: CLIP is strongly biased against a
 * class when log(C·q) ≤ −1 nat (q is then below uniform); otherwise CLIP's prompts miss it when its zero-shot recall is
 * at least 0.2 below its GLA recall.
 */
function biasedAgainst(c: ClassReport): boolean {
  return c.bias <= -1;
}

function promptsMiss(c: ClassReport): boolean {
  const gap = c.recall.zeroShot !== null && c.recall.gla !== null ? c.recall.gla - c.recall.zeroShot : 0;
  return !biasedAgainst(c) && gap >= 0.2 - 1e-9;
}

/**
 * Label errors planted in the sandbox's copy of shapes/, so the panel has images to show: a blue square filed as a
 * red circle (train), and a yellow circle filed as a green triangle (test), under a file name that is HTML. The tiny
 * CLIP reads colour well.
 */
const PLANTED = {
  train: 'train/red_circle/planted-blue-square.png',
  trainFrom: 'train/blue_square/0.png',
  test: "test/green_triangle/planted <img src=x onerror=alert(1)> 'yellow'.png",
  testFrom: 'test/yellow_circle/0.png',
};

/** The five models as the panel names them: the run's fine-tuned model is its linear probe. */
const MODELS: [ModelKind, string][] = [
  ['zeroShot', 'zero-shot'],
  ['debiased', 'debiased'],
  ['finetuned', 'fine-tuned (probe)'],
  ['ensemble', 'naive ensemble'],
  ['gla', 'GLA'],
];

function pct(v: number | null, digits: number): string {
  return v === null ? 'n/a' : `${(v * 100).toFixed(digits)}%`;
}

/** report.json files of finished runs in the workspace, newest first. */
function runReports(workspace: string): string[] {
  const runs = join(workspace, '.gla', 'runs');
  if (!existsSync(runs)) return [];
  return readdirSync(runs)
    .map((id) => join(runs, id, 'report.json'))
    .filter(existsSync)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
}

describe('GLA: Analyze Dataset in VS Code', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let report: Report;
  let reportPath: string;
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(name, (t) => withFailureScreenshot(wb, name, () => fn(t)));
  const classLine = (name: string) => 3 + 2 * fixture.shapes.indexOf(name); // model, classes:, two lines per class

  before(async () => {
    sandbox = createSandbox({ theme: 'light', datasets: ['shapes', 'big'] });
    const classes = fixture.shapes.map((c) => `  - folder: ${c}\n    prompt: ${c.replace(/_/g, ' ')}\n`).join('');
    writeFileSync(join(sandbox.workspace, 'shapes', 'gla.yaml'), `model: ${JSON.stringify(tinyClip)}\nclasses:\n${classes}templates: ["a photo of a {}."]\n`);
    const shapes = join(sandbox.workspace, 'shapes');
    copyFileSync(join(shapes, PLANTED.trainFrom), join(shapes, PLANTED.train));
    copyFileSync(join(shapes, PLANTED.testFrom), join(shapes, PLANTED.test));
    writeFileSync(join(sandbox.workspace, 'big', 'gla.yaml'), `model: ${JSON.stringify(tinyClip)}\ntemplates: ["a photo of a {}."]\n`);
    server = await CodeServer.start(sandbox);
    wb = await Workbench.open(server, sandbox.workspace);
    await wb.page.locator(STATUS_ITEM_SELECTOR).waitFor({ state: 'visible', timeout: 30_000 });
  });

  /** The active editor is gla.yaml with the class's folder name selected on its line. */
  async function expectClassRevealed(name: string): Promise<void> {
    const cursor = await waitFor(`gla.yaml open at '${name}'`, async () => {
      const c = await wb.editorCursor();
      return (await wb.activeTabTitle()) === 'gla.yaml' && c?.line === classLine(name) ? c : undefined;
    });
    assert.equal(cursor.selected, name.length, `the folder name ${name} is selected`);
  }

  after(async () => {
    await wb?.close();
    await server?.stop();
    sandbox?.dispose();
  });

  test('analyzing the open gla.yaml shows a summary and puts one bias finding on each class line', async (t) => {
    await wb.openFile('shapes/gla.yaml');
    const started = Date.now();
    await wb.runCommand('GLA: Analyze Dataset…');
    const summary = await wb.waitForNotification(new RegExp(`Analyzed \\d+ images in ${fixture.shapes.length} classes: top-1 [\\d.]+% zero-shot → [\\d.]+% with GLA`), 90_000);
    t.diagnostic(`analysis of shapes/ (${fixture.shapes.length} classes) from the palette: ${Date.now() - started} ms`);
    assert.match(summary, /Show Bias Panel/);
    assert.match(summary, /Open Report/);

    [reportPath] = runReports(sandbox.workspace);
    assert.ok(reportPath, 'the run wrote .gla/runs/<id>/report.json in the workspace');
    report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
    assert.deepEqual(report.classes.map((c) => c.name).sort(), [...fixture.shapes].sort());

    const findings = (ps: Problem[]) => ps.filter((p) => p.file === 'gla.yaml' && /^(CLIP is strongly biased against '[^']+': q = |CLIP's prompts miss '[^']+': zero-shot recall |'[^']+': q = )/.test(p.message));
    const problems = findings(await wb.waitForProblems((ps) => findings(ps).length === fixture.shapes.length, 30_000));
    for (const c of report.classes) {
      const row = problems.find((p) => p.message.includes(`'${c.name}'`));
      assert.ok(row, `a finding for ${c.name}`);
      assert.equal(row.line, classLine(c.name), `${c.name}'s finding sits on its folder line`);
      assert.equal(row.severity, biasedAgainst(c) || promptsMiss(c) ? 'Warning' : 'Info', `${c.name}: bias ${c.bias}, recall ${JSON.stringify(c.recall)}`);
      // "Biased against" only where q is below uniform.
      if (/biased against/.test(row.message)) assert.ok(c.prior < 1 / report.classes.length, `${c.name}: q ${c.prior} ≥ 1/C, yet "${row.message}"`);
      if (promptsMiss(c)) assert.match(row.message, /CLIP's prompts miss .*prompt:/);
      assert.match(row.message, new RegExp(`log\\(C·q\\) = [-+−]?${Math.abs(c.bias).toFixed(2)} nats`), `${c.name}: the numbers are in the message`);
    }
    assert.ok(problems.some((p) => p.severity === 'Warning'), 'the tiny CLIP is biased against some class (its design)');
    await wb.screenshot('problems-bias-light');
    await waitFor('the last run in the status bar', async () => ((await wb.statusText()).includes('GLA top-1') ? true : undefined));
  });

  test('"Show Bias Panel" on the summary opens the panel: every class with its numbers, the cards, images to re-check', async (t) => {
    const toast = wb.page.locator('.notifications-toasts .notification-toast', { hasText: 'Analyzed' });
    if (await toast.isVisible()) await toast.locator('.monaco-button', { hasText: 'Show Bias Panel' }).click();
    else await wb.runCommand('GLA: Show Bias Panel');
    await wb.page.locator('.tabs-container .tab.active', { hasText: runPanelTitle(join(sandbox.workspace, 'shapes'), dirname(reportPath), report.createdAt, Number.NaN) }).waitFor({ state: 'visible' });
    const panel = await BiasPanelView.find(wb, 'run');

    // The table: one row per class, most under-predicted first, with q, bias, recall gain, images and label issues.
    assert.equal(await panel.rowCount(), report.classes.length);
    const rows = await panel.rows();
    const byBias = [...report.classes].sort((a, b) => a.bias - b.bias);
    assert.deepEqual(rows.map((r) => r.name), byBias.map((c) => c.name));
    for (const [i, c] of byBias.entries()) {
      const row = rows[i];
      assert.ok(Math.abs(panelNumber(row.q) - c.prior) <= 0.005 * c.prior, `${c.name}: q ${row.q} vs ${c.prior}`);
      assert.ok(Math.abs(panelNumber(row.bias) - c.bias) <= 0.005 + 1e-9, `${c.name}: bias ${row.bias} vs ${c.bias}`);
      assert.equal(panelNumber(row.support!), c.support.train + c.support.val + c.support.test);
      const gain = (c.recall.gla! - c.recall.zeroShot!) * 100;
      assert.ok(row.gain === '±0' ? Math.abs(gain) < 0.5 : Math.abs(panelNumber(row.gain!) - gain) <= 0.5, `${c.name}: gain ${row.gain} vs ${gain}`);
      assert.equal(row.issues, String(report.labelIssues.filter((li) => li.given === c.name).length || ''));
      const recalls = MODELS.map(([k, label]) => `${label} ${pct(c.recall[k], 0)}`).join(', ');
      assert.ok(row.label.includes(`recall ${recalls}`), `${c.name}: ${row.label} names ${recalls}`);
    }

    // The cards: overall top-1, then head, medium and tail mean recall, per model.
    const cards = await panel.cards();
    assert.deepEqual(cards.map((c) => c.title), ['All classes', 'Head', 'Medium', 'Tail']);
    for (const [k, label] of MODELS) {
      assert.equal(cards[0].values[label], pct(report.metrics[k]!.top1, 1), `top-1 ${k}`);
      for (const [j, g] of (['head', 'medium', 'tail'] as const).entries()) assert.equal(cards[j + 1].values[label], pct(report.metrics[k]![g], 1), `${g} ${k}`);
    }

    // Images to re-check: the planted label errors, and the test image GLA gets wrong, each loaded from the dataset.
    const [columns, ...predictions] = readFileSync(join(dirname(reportPath), 'predictions.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    // By name: the naive ensemble's column sits before GLA's.
    const [split, given, gla] = ['split', 'given', 'gla'].map((name) => columns.indexOf(name));
    const wrongOnTest = predictions.filter((p) => p[split] === 'test' && p[gla] !== p[given]).map((p) => p[0]);
    assert.ok(report.labelIssues.some((li) => li.path === PLANTED.train), `the planted ${PLANTED.train} is a suspected label error`);
    assert.ok(wrongOnTest.includes(PLANTED.test), `GLA gets the planted ${PLANTED.test} wrong`);
    assert.equal(await panel.thumbnails('Suspected mislabelled').count(), report.labelIssues.length);
    assert.equal(await panel.thumbnails('Misclassified').count(), wrongOnTest.length);
    const images = await waitFor('every thumbnail to load', async () => {
      const imgs = await panel.frame.$$eval('.strip img', (els) => els.map((e) => ({ src: e.getAttribute('src') ?? '', loaded: (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0 })));
      return imgs.length && imgs.every((i) => i.loaded) ? imgs : undefined;
    });
    assert.equal(images.length, report.labelIssues.length + wrongOnTest.length);
    assert.ok(images.every((i) => !i.src.startsWith('file:')), 'thumbnails come through asWebviewUri');
    // The HTML file name is a label and a caption, never markup.
    const misclassified = await panel.thumbnails('Misclassified').first().getAttribute('aria-label');
    assert.ok(misclassified?.startsWith(`${PLANTED.test}: given green_triangle, predicted yellow_circle`), String(misclassified));
    assert.equal(await panel.locator('[onerror]').count(), 0);
    // The workbench lists the selected model's (GLA's) most confused pairs, from predictions.csv: report.json's own.
    await waitFor('the confusion matrix to be drawn', () => panel.frame.evaluate(() => (document.body.dataset.matrixPaintMs ? true : undefined)));
    const pairs = await panel.locator('.top-confusions .pair-button').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
    // report.json keeps its top 10 (ties by class index), the panel its top 20: each of the report's is listed.
    for (const p of report.confusions) assert.ok(pairs.includes(`${p.actual} taken for ${p.predicted} by GLA: ${p.count} ${p.count === 1 ? 'image' : 'images'}. Show them.`), `${p.actual} → ${p.predicted} in ${pairs.join(' | ')}`);
    assert.ok(pairs.length >= report.confusions.length);

    const paint = await waitFor('the first paint in the GLA log', () => glaLog(sandbox).match(/bias panel: first paint ([\d.]+) ms after the panel script started \((\d+) classes/) ?? undefined);
    t.diagnostic(`bias panel, ${paint[2]} classes: first paint ${paint[1]} ms after the panel script started`);
    assert.equal(Number(paint[2]), report.classes.length);

    await wb.makeRoomForEditor();
    await BiasPanelView.find(wb, 'run');
    await wb.screenshot('bias-panel-light');
  });

  test('clicking a thumbnail opens the image; clicking a class reveals its gla.yaml line', async () => {
    const panel = await BiasPanelView.find(wb, 'run');
    await panel.thumbnails('Suspected mislabelled').filter({ has: panel.locator(`img[src*="${basename(PLANTED.train)}"]`) }).click();
    await waitFor(`${basename(PLANTED.train)} open`, async () => ((await wb.activeTabTitle()) === basename(PLANTED.train) ? true : undefined));

    const target = [...report.classes].sort((a, b) => a.bias - b.bias)[0];
    await (await (await BiasPanelView.find(wb, 'run')).row(target.name)).click();
    await expectClassRevealed(target.name);
    const status = await (await BiasPanelView.find(wb, 'run')).waitForStatus(/gla\.yaml/);
    assert.equal(status, `'${target.name}' is on line ${classLine(target.name)} of gla.yaml.`);
  });

  test('the panel works from the keyboard: sort, filter, search, move between rows, reveal with Enter', async () => {
    const panel = await BiasPanelView.find(wb, 'run');
    const names = report.classes.map((c) => c.name);
    // Enter on a column header sorts by it.
    await panel.sortButton('Class').focus();
    await wb.page.keyboard.press('Enter');
    await waitFor('rows sorted by name', async () => ((await panel.rows()).map((r) => r.name).join() === [...names].sort().join() ? true : undefined));
    assert.equal(await panel.locator('[role="columnheader"][aria-sort="ascending"]').textContent(), 'Class▲');

    // Space on a filter toggle filters, and again clears it.
    // Each finding kind has its own filter.
    for (const [label, rule] of [['Biased against', biasedAgainst], ['Prompts miss', promptsMiss]] as const) {
      const expected = report.classes.filter(rule).map((c) => c.name).sort();
      await panel.toggle(label).focus();
      await wb.page.keyboard.press('Space');
      assert.equal(await panel.toggle(label).getAttribute('aria-pressed'), 'true');
      await waitFor(`the classes under "${label}"`, async () => ((await panel.rows()).map((r) => r.name).join() === expected.join() ? true : undefined));
      await wb.page.keyboard.press('Space');
      await waitFor('every class again', async () => ((await panel.rowCount()) === names.length ? true : undefined));
    }

    // Typing in the search box.
    await panel.locator('input.search').focus();
    await wb.page.keyboard.type('triangle');
    await waitFor('the triangles', async () => ((await panel.rows()).map((r) => r.name).join() === names.filter((n) => n.includes('triangle')).sort().join() ? true : undefined));
    await panel.locator('input.search').fill('');
    await waitFor('every class again', async () => ((await panel.rowCount()) === names.length ? true : undefined));

    // Tab from the last column header lands on the table's one tab stop, the active row; Home, arrows move; Enter
    // reveals.
    await panel.sortButton('Images').focus();
    await wb.page.keyboard.press('Tab');
    await waitFor('a row focused', async () => ((await panel.rows()).some((r) => r.focused) ? true : undefined));
    await wb.page.keyboard.press('Home');
    await waitFor('the first row focused', async () => ((await panel.rows())[0].focused ? true : undefined));
    await wb.page.keyboard.press('ArrowDown');
    const rows = await waitFor('the second row focused', async () => {
      const r = await panel.rows();
      return r[1].focused ? r : undefined;
    });
    await wb.page.keyboard.press('Enter');
    await expectClassRevealed(rows[1].name);
  });

  test('Export CSV… writes the table, in the order shown, where the save dialog says', async () => {
    const panel = await BiasPanelView.find(wb, 'run');
    const shown = (await panel.rows()).map((r) => r.name);
    const target = join(sandbox.root, 'bias-classes-export.csv');
    await panel.locator('button.primary', { hasText: 'Export CSV' }).click();
    await wb.answerFileDialog(target, 'OK');
    await waitFor('the CSV file', () => existsSync(target) || undefined);
    await (await BiasPanelView.find(wb, 'run')).waitForStatus(new RegExp(`Exported ${shown.length} classes to .*bias-classes-export\\.csv`));
    const [header, ...lines] = readFileSync(target, 'utf8').trim().split('\n').map((l) => l.split(','));
    assert.deepEqual(header.slice(0, 6), ['class', 'prompt', 'group', 'q', 'log_q', 'bias_nats']);
    assert.deepEqual(lines.map((l) => l[0]), shown);
    for (const l of lines) {
      const c = report.classes.find((x) => x.name === l[0])!;
      assert.equal(Number(l[header.indexOf('q')]), c.prior);
      assert.equal(Number(l[header.indexOf('bias_nats')]), c.bias);
      assert.equal(Number(l[header.indexOf('recall_gla')]), c.recall.gla);
      assert.equal(Number(l[header.indexOf('label_issues')]), report.labelIssues.filter((li) => li.given === c.name).length);
    }
  });

  test('the bias findings and the bias panel in the dark theme', async () => {
    await wb.setTheme('dark');
    await wb.openFile('shapes/gla.yaml');
    await wb.waitForProblems((ps) => ps.some((p) => p.severity === 'Warning'));
    await wb.screenshot('problems-bias-dark');

    await wb.runCommand('View: Close All Editors');
    await wb.runCommand('GLA: Show Bias Panel');
    await wb.makeRoomForEditor();
    // Right after a theme switch, code-server now and then leaves a new webview blank (1 run in 4 here, under load);
    // the panel's own script never started then. Reopening it once is what a user would do.
    const panel = await BiasPanelView.find(wb, 'run').catch(async () => {
      await wb.runCommand('View: Close All Editors');
      await wb.runCommand('GLA: Show Bias Panel');
      return BiasPanelView.find(wb, 'run');
    });
    assert.equal(await panel.rowCount(), report.classes.length);
    await waitFor('the thumbnails', async () => ((await panel.frame.$$eval('.strip img', (els) => els.every((e) => (e as HTMLImageElement).naturalWidth > 0) && els.length > 0)) ? true : undefined));
    await wb.screenshot('bias-panel-dark');
  });

  test('"Move there" on a suspected label error moves the image into the suggested class folder, after asking', async () => {
    const panel = await BiasPanelView.find(wb, 'run');
    const issue = report.labelIssues.find((li) => li.path === PLANTED.train)!;
    const move = panel.locator(`.thumb-item:has(img[src*="${basename(PLANTED.train)}"]) button.move`);
    assert.equal(await move.textContent(), 'Move there');
    assert.equal(await move.getAttribute('aria-label'), `Move ${PLANTED.train} into the ${issue.suggested} folder`);
    const from = join(sandbox.workspace, 'shapes', PLANTED.train);
    const to = join(sandbox.workspace, 'shapes', 'train', issue.suggested, basename(PLANTED.train));
    // Cancel first: nothing moves.
    await move.click();
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', new RegExp(`from '${issue.given}' to '${issue.suggested}'`));
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await (await BiasPanelView.find(wb, 'run')).waitForStatus(/Not moved/);
    assert.ok(existsSync(from) && !existsSync(to));
    // Then confirm: the file is renamed inside the dataset, and the button says so.
    await (await BiasPanelView.find(wb, 'run')).locator(`.thumb-item:has(img[src*="${basename(PLANTED.train)}"]) button.move`).click();
    await dialog.waitFor();
    await dialog.locator('.monaco-button', { hasText: 'Move' }).click();
    await waitFor('the image to move', async () => (existsSync(to) && !existsSync(from) ? true : undefined));
    const after = await BiasPanelView.find(wb, 'run');
    await after.waitForStatus(/Moved to/);
    assert.equal(await after.locator(`.thumb-item:has(img[src*="${basename(PLANTED.train)}"]) button.move`).textContent(), 'moved');
  });

  test('GLA: Classify Folder… labels a folder of new images with the last run', async () => {
    const folder = join(sandbox.workspace, 'shapes', 'test', 'red_circle');
    await wb.runCommand('GLA: Classify Folder…');
    await wb.chooseInFileDialog(folder, 'Classify');
    const message = await wb.waitForNotification(/GLA: classified \d+ images/, 60_000);
    const images = readdirSync(folder).filter((f) => f.endsWith('.png')).length;
    assert.match(message, new RegExp(`classified ${images} images\\.`));
    await wb.page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item', { hasText: 'classified' })
      .locator('.monaco-button', { hasText: 'Open Predictions' }).first().click();
    await wb.page.locator('.tabs-container .tab.active', { hasText: /^classify-.*\.csv/ }).waitFor({ state: 'visible' });
    const rows = (await wb.editorText()).trim().split('\n');
    assert.match(rows[0], /^path,.*gla/);
    assert.deepEqual(rows.slice(1).map((r) => r.split(',')[0]).sort(), readdirSync(folder).filter((f) => f.endsWith('.png')).sort());
  });

  test(`Cancel stops a run on ${fixture.big.length * fixture.bigPerClass} images promptly; the editor stays responsive meanwhile`, async (t) => {
    const before = new Set(runReports(sandbox.workspace));
    await wb.openFile('big/gla.yaml');
    await wb.runCommand('GLA: Analyze Dataset…');
    const progress = wb.page.locator('.notifications-toasts .notification-toast', { hasText: 'GLA: analyzing big' });
    await progress.waitFor({ state: 'visible', timeout: 20_000 });
    await waitFor('embedding to be under way', async () => (/embedding/i.test((await progress.textContent()) ?? '') ? true : undefined), 30_000);

    // While the worker embeds, the editor answers: open another file and read its problems.
    const t0 = Date.now();
    await wb.openFile('shapes/gla.yaml');
    const openMs = Date.now() - t0;
    t.diagnostic(`opening a file during the run took ${openMs} ms`);
    assert.ok(openMs < 5000, `opening a file took ${openMs} ms during a run`);
    // VS Code may tuck a long progress notification into the status bar; either way the run must still be going.
    const inStatusBar = wb.page.locator('.statusbar-item', { hasText: 'GLA: analyzing big' });
    assert.ok((await progress.isVisible()) || (await inStatusBar.isVisible()), 'the run was still going when the file opened');
    await wb.screenshot('analyze-progress-dark');

    // Cancel from the notification: the toast, or the notification centre the status-bar entry opens.
    let cancel = progress.locator('.monaco-button', { hasText: 'Cancel' });
    if (!(await progress.isVisible())) {
      await inStatusBar.click();
      cancel = wb.page.locator('.notifications-center .notification-list-item', { hasText: 'GLA: analyzing big' }).locator('.monaco-button', { hasText: 'Cancel' });
    }
    const t1 = Date.now();
    await cancel.click();
    await wb.waitForNotification(/analysis of big cancelled/, 15_000);
    await inStatusBar.waitFor({ state: 'hidden' });
    await progress.waitFor({ state: 'hidden' });
    const cancelMs = Date.now() - t1;
    t.diagnostic(`Cancel to "cancelled": ${cancelMs} ms`);
    assert.ok(cancelMs < 5000, `cancelling took ${cancelMs} ms`);
    const added = runReports(sandbox.workspace).filter((r) => !before.has(r));
    assert.deepEqual(added, [], 'a cancelled run writes no report');
  });
});
