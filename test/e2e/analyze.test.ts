// GLA: Analyze Dataset from the command palette, with the fixture tiny CLIP, in real VS Code (code-server):
// progress, the summary, bias findings on the class lines in the Problems view, the panel, and Cancel.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test as nodeTest, type TestContext } from 'node:test';
import type { ClassReport, Report } from '../../server/src/engine/report';
import { generatedFixtures } from '../helpers/paths';
import { CodeServer, STATUS_ITEM_SELECTOR, createSandbox, waitFor, type Sandbox } from './harness';
import { Workbench, withFailureScreenshot, type Problem } from './workbench';

interface WorkspaceFixture {
  shapes: string[];
  big: string[];
  bigPerClass: number;
}

const fixture = JSON.parse(readFileSync(join(generatedFixtures('e2e-workspace'), 'manifest.json'), 'utf8')) as WorkspaceFixture;
const tinyClip = join(generatedFixtures('models'), 'tiny-clip');

/**
 * The documented rule for a Warning (issue 5; server/src/lsp/bias-diagnostics.ts): CLIP is strongly biased against a
 * class when log(C·q) ≤ −1 nat, or when its zero-shot recall is at least 0.2 below its GLA recall.
 */
function stronglyBiasedAgainst(c: ClassReport): boolean {
  const gap = c.recall.zeroShot !== null && c.recall.gla !== null ? c.recall.gla - c.recall.zeroShot : 0;
  return c.bias <= -1 || gap >= 0.2 - 1e-9;
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
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(name, (t) => withFailureScreenshot(wb, name, () => fn(t)));
  const classLine = (name: string) => 3 + 2 * fixture.shapes.indexOf(name); // model, classes:, two lines per class

  before(async () => {
    sandbox = createSandbox({ theme: 'light', datasets: ['shapes', 'big'] });
    const classes = fixture.shapes.map((c) => `  - folder: ${c}\n    prompt: ${c.replace(/_/g, ' ')}\n`).join('');
    writeFileSync(join(sandbox.workspace, 'shapes', 'gla.yaml'), `model: ${JSON.stringify(tinyClip)}\nclasses:\n${classes}templates: ["a photo of a {}."]\n`);
    writeFileSync(join(sandbox.workspace, 'big', 'gla.yaml'), `model: ${JSON.stringify(tinyClip)}\ntemplates: ["a photo of a {}."]\n`);
    server = await CodeServer.start(sandbox);
    wb = await Workbench.open(server, sandbox.workspace);
    await wb.page.locator(STATUS_ITEM_SELECTOR).waitFor({ state: 'visible', timeout: 30_000 });
  });

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

    const [reportPath] = runReports(sandbox.workspace);
    assert.ok(reportPath, 'the run wrote .gla/runs/<id>/report.json in the workspace');
    report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
    assert.deepEqual(report.classes.map((c) => c.name).sort(), [...fixture.shapes].sort());

    const findings = (ps: Problem[]) => ps.filter((p) => p.file === 'gla.yaml' && /^(CLIP is strongly biased against )?'[^']+': q = /.test(p.message));
    const problems = findings(await wb.waitForProblems((ps) => findings(ps).length === fixture.shapes.length, 30_000));
    for (const c of report.classes) {
      const row = problems.find((p) => p.message.includes(`'${c.name}'`));
      assert.ok(row, `a finding for ${c.name}`);
      assert.equal(row.line, classLine(c.name), `${c.name}'s finding sits on its folder line`);
      assert.equal(row.severity, stronglyBiasedAgainst(c) ? 'Warning' : 'Info', `${c.name}: bias ${c.bias}, recall ${JSON.stringify(c.recall)}`);
      assert.match(row.message, new RegExp(`log\\(C·q\\) = [-+−]?${Math.abs(c.bias).toFixed(2)} nats`), `${c.name}: the numbers are in the message`);
    }
    assert.ok(problems.some((p) => p.severity === 'Warning'), 'the tiny CLIP is biased against some class (its design)');
    await wb.screenshot('problems-bias-light');
    await waitFor('the last run in the status bar', async () => ((await wb.statusText()).includes('GLA top-1') ? true : undefined));
  });

  test('"Show Bias Panel" on the summary opens the panel with every class of the run', async () => {
    const toast = wb.page.locator('.notifications-toasts .notification-toast', { hasText: 'Analyzed' });
    if (await toast.isVisible()) await toast.locator('.monaco-button', { hasText: 'Show Bias Panel' }).click();
    else await wb.runCommand('GLA: Show Bias Panel');
    const panel = wb.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await panel.locator('h2', { hasText: 'Bias per class' }).waitFor({ state: 'visible', timeout: 20_000 });
    const shown = await panel.locator('table').nth(1).locator('tr td:first-child').allTextContents();
    assert.deepEqual(shown, [...report.classes].sort((a, b) => a.bias - b.bias).map((c) => c.name));
    await wb.screenshot('bias-panel-interim-light');
  });

  test('the bias findings in the dark theme', async () => {
    await wb.setTheme('dark');
    await wb.openFile('shapes/gla.yaml');
    await wb.waitForProblems((ps) => ps.some((p) => p.severity === 'Warning'));
    await wb.screenshot('problems-bias-dark');
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
