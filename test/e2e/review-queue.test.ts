// The label review queue in real VS Code, as a reviewer works through it: by keyboard (j/k, x, s, n, m), "Not an
// error" recorded in .gla/reviewed.json and honoured by a Re-run, a batch Move as one WorkspaceEdit that asks before
// taking a name that exists, the threshold setting re-flagging without a re-run, and the layout at 1400/830/600 px.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test as nodeTest } from 'node:test';
import type { Report } from '../../server/src/engine/report';
import { generatedFixtures } from '../helpers/paths';
import { BiasPanelView } from './bias-panel-view';
import { createSandbox, glaLog, waitFor, type CodeServer, type Sandbox } from './harness';
import { analyzeManifest, closeSession, openSession, showBiasPanelAlone } from './session';
import { withFailureScreenshot, type Workbench } from './workbench';

const fixture = JSON.parse(readFileSync(join(generatedFixtures('e2e-workspace'), 'manifest.json'), 'utf8')) as { shapes: string[] };
const tinyClip = join(generatedFixtures('models'), 'tiny-clip');

/** Blue squares filed as red circles and a red circle filed as a blue square: the tiny CLIP reads colour. */
const PLANTED = [
  { path: 'train/red_circle/planted-a.png', from: 'train/blue_square/0.png' },
  { path: 'train/red_circle/planted-b.png', from: 'train/blue_square/1.png' },
  { path: 'train/blue_square/planted-c.png', from: 'train/red_circle/0.png' },
];

describe('the label review queue: keyboard, Not an error across a Re-run, batch Move, threshold', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let report: Report;
  let shapes: string;
  const test = (name: string, fn: () => Promise<void>) => nodeTest(name, () => withFailureScreenshot(wb, name, fn));

  const runs = () => join(sandbox.workspace, '.gla', 'runs');
  const newestRun = () => readdirSync(runs()).map((id) => join(runs(), id)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const queuePaths = async (panel: BiasPanelView) => panel.frame.$$eval('.queue .queue-row', (els) => els.map((e) => (e as HTMLElement).dataset.path ?? ''));
  const focusedPath = async (panel: BiasPanelView) => panel.frame.evaluate(() => (document.activeElement?.closest('.queue-row') as HTMLElement | null)?.dataset.path);
  const row = (panel: BiasPanelView, path: string) => panel.locator(`.queue-row[data-path="${path}"]`);

  before(async () => {
    sandbox = createSandbox({ theme: 'light', datasets: ['shapes'] });
    shapes = join(sandbox.workspace, 'shapes');
    const classes = fixture.shapes.map((c) => `  - folder: ${c}\n`).join('');
    writeFileSync(join(shapes, 'gla.yaml'), `model: ${JSON.stringify(tinyClip)}\nclasses:\n${classes}templates: ["a photo of a {}."]\n`);
    for (const p of PLANTED) copyFileSync(join(shapes, p.from), join(shapes, p.path));
    ({ server, wb } = await openSession(sandbox, sandbox.workspace));
    await analyzeManifest(wb, 'shapes/gla.yaml');
    report = JSON.parse(readFileSync(join(newestRun(), 'report.json'), 'utf8')) as Report;
    for (const p of PLANTED) assert.ok(report.labelIssues.some((i) => i.path === p.path), `${p.path} is a suspected label error: ${JSON.stringify(report.labelIssues)}`);
    await showBiasPanelAlone(wb);
  });

  after(() => closeSession({ server, wb }, sandbox));

  test('ranked by confidence, reviewed by keyboard: j/k move, x selects, s skips, and the threshold row counts each setting', async () => {
    const panel = await BiasPanelView.find(wb, 'run');
    const flagged = report.labelIssues.filter((i) => i.confidence >= 0.5);
    const paths = await queuePaths(panel);
    assert.deepEqual([...paths].sort(), flagged.map((i) => i.path).sort());
    const confidence = (p: string) => flagged.find((i) => i.path === p)!.confidence;
    for (let k = 1; k < paths.length; k++) assert.ok(confidence(paths[k - 1]) >= confidence(paths[k]), 'most confident first');
    const current = ((await panel.locator('.threshold-counts li.current').textContent()) ?? '').trim();
    assert.equal(current, `≥ 0.5: ${flagged.length}`);

    await row(panel, paths[0]).locator('button.thumb').focus();
    await wb.page.keyboard.press('j');
    assert.equal(await focusedPath(panel), paths[1]);
    await wb.page.keyboard.press('k');
    assert.equal(await focusedPath(panel), paths[0]);
    await wb.page.keyboard.press('x');
    assert.equal(await row(panel, paths[0]).getAttribute('class'), 'thumb-item queue-row picked');
    assert.equal(((await panel.locator('.batch-move').textContent()) ?? '').trim(), 'Move 1 selected');
    await wb.page.keyboard.press('x');
    assert.equal(await panel.locator('.batch-move').isDisabled(), true, 'nothing selected, nothing to move');
    await wb.page.keyboard.press('s');
    assert.deepEqual(await queuePaths(panel), paths.slice(1), 'Skip takes it out of the queue for now');
    assert.equal(await focusedPath(panel), paths[1], 'the focus goes on to the next image');
    await panel.locator('button.unskip').click();
    assert.deepEqual(await queuePaths(panel), paths);
  });

  test('Not an error (n) writes .gla/reviewed.json and the image is gone; after Re-run it stays unflagged', async () => {
    const target = PLANTED[0].path;
    let panel = await BiasPanelView.find(wb, 'run');
    await row(panel, target).locator('button.thumb').focus();
    await wb.page.keyboard.press('n');
    await panel.waitForStatus(/Marked .* "not an error"/);
    await waitFor('the row gone', async () => (!(await queuePaths(panel)).includes(target) ? true : undefined));
    const reviewed = JSON.parse(readFileSync(join(sandbox.workspace, '.gla', 'reviewed.json'), 'utf8'));
    assert.equal(reviewed.datasetRoot, 'shapes');
    assert.deepEqual(reviewed.entries.map((e: { path: string; given: string }) => [e.path, e.given]), [[target, 'red_circle']]);
    assert.match((await panel.locator('.queue-meta').textContent()) ?? '', /1 marked "not an error" left out/);
    await wb.screenshot('review-queue-marked');

    const before = report.runId;
    await panel.locator('header.top button.rerun').click();
    await waitFor('the re-run on disk', async () => (basename(newestRun()) !== before && existsSync(join(newestRun(), 'report.json')) ? true : undefined), 120_000);
    const again = JSON.parse(readFileSync(join(newestRun(), 'report.json'), 'utf8')) as Report;
    assert.ok(!again.labelIssues.some((i) => i.path === target), 'the re-run does not flag it');
    assert.equal(again.labelIssuesReviewed, 1);
    panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${again.runId}`), 60_000);
    const shown = await queuePaths(panel);
    assert.ok(!shown.includes(target) && shown.includes(PLANTED[1].path), JSON.stringify(shown));
    report = again;
  });

  test('a batch Move is one dialog and one WorkspaceEdit; a name that exists is not overwritten: Keep Both renames it', async () => {
    const [b, c] = [PLANTED[1], PLANTED[2]];
    const targetOf = (p: string) => report.labelIssues.find((i) => i.path === p)!;
    const dest = (p: string) => join(shapes, 'train', targetOf(p).suggested, basename(p));
    // Something already sits where b would go.
    writeFileSync(dest(b.path), readFileSync(join(shapes, 'train/blue_square/2.png')));
    const occupant = readFileSync(dest(b.path));
    const panel = await BiasPanelView.find(wb, 'run');
    await row(panel, b.path).locator('input.pick').check();
    await row(panel, c.path).locator('input.pick').check();
    assert.equal(((await panel.locator('.batch-move').textContent()) ?? '').trim(), 'Move 2 selected');
    await row(panel, c.path).locator('button.thumb').focus();
    await wb.page.keyboard.press('m');
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /Move 2 images to their suggested class folders\?/);
    assert.match((await dialog.textContent()) ?? '', new RegExp(`${targetOf(b.path).suggested}/planted-b\\.png already exists`));
    await dialog.locator('.monaco-button', { hasText: 'Keep Both' }).click();
    const kept = join(shapes, 'train', targetOf(b.path).suggested, 'planted-b-2.png');
    await waitFor('both images moved', async () => (existsSync(kept) && existsSync(dest(c.path)) && !existsSync(join(shapes, b.path)) && !existsSync(join(shapes, c.path)) ? true : undefined));
    assert.deepEqual(readFileSync(dest(b.path)), occupant, 'the image that was there is untouched');
    await waitFor('"moved" on both', async () => ((await row(panel, b.path).locator('button.move').textContent()) === 'moved' && (await row(panel, c.path).locator('button.move').textContent()) === 'moved' ? true : undefined));
    await wb.screenshot('review-queue-moved');
    // One edit, one undo: the notice's Undo Move puts both back.
    const undo = wb.page.locator('.notification-toast', { hasText: 'GLA: moved 2 images' }).locator('.monaco-button', { hasText: 'Undo Move' });
    await undo.click();
    await waitFor('both back', async () => (existsSync(join(shapes, b.path)) && existsSync(join(shapes, c.path)) && !existsSync(kept) && !existsSync(dest(c.path)) ? true : undefined));
    await waitFor('"Move there" again', async () => ((await row(panel, c.path).locator('button.move').textContent()) === 'Move there' ? true : undefined));
  });

  test('a new gla.labelIssues.threshold re-flags the queue at once, without a re-run', async () => {
    const candidates = report.labelIssues;
    // Between the least and the most confident candidate: some stay flagged, some do not.
    const sorted = candidates.map((i) => i.confidence).sort((a, b) => a - b);
    const strict = (sorted[0] + sorted[sorted.length - 1]) / 2;
    const expected = candidates.filter((i) => i.confidence >= strict).map((i) => i.path).sort();
    assert.ok(expected.length < candidates.filter((i) => i.confidence >= 0.5).length, `some candidate lies below ${strict}: ${JSON.stringify(candidates)}`);
    // The queue's Change… opens Settings at gla.labelIssues.threshold; the value then goes into settings.json.
    await (await BiasPanelView.find(wb, 'run')).locator('.queue-meta button.link').click();
    await wb.page.locator('.settings-editor .settings-count-widget', { hasText: '1 Setting Found' }).waitFor({ timeout: 20_000 });
    await wb.runCommand('View: Close Editor');
    // As a user edits the workspace's .vscode/settings.json (code-server does not watch its user settings file).
    const setThreshold = (value: number) => {
      mkdirSync(join(sandbox.workspace, '.vscode'), { recursive: true });
      writeFileSync(join(sandbox.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'gla.labelIssues.threshold': value }, null, 2));
    };
    setThreshold(strict);
    const currentCount = async () => {
      const p = await BiasPanelView.find(wb, 'run').catch(() => undefined);
      return p && ((await p.locator('.threshold-counts li.current').textContent().catch(() => '')) ?? '').trim();
    };
    await waitFor('the queue at the new threshold', async () => ((await currentCount()) === `≥ ${strict}: ${expected.length}` ? true : undefined), 30_000).catch((err: Error) => {
      err.message += `\nGLA log:\n${glaLog(sandbox).split('\n').filter((l) => /bias panel|threshold/.test(l)).join('\n')}`;
      throw err;
    });
    const panel = await BiasPanelView.find(wb, 'run');
    assert.deepEqual((await queuePaths(panel)).sort(), expected);
    await wb.screenshot('review-queue-threshold');
    setThreshold(0.5);
    await waitFor('the queue back at 0.5', async () => ((await currentCount())?.startsWith('≥ 0.5:') ? true : undefined), 30_000);
  });

  for (const width of [1400, 830, 600]) {
    test(`at ${width} px the queue fits: no horizontal scrolling, each row's actions inside the panel`, async () => {
      await wb.page.setViewportSize({ width: width + 48, height: 1000 });
      await wb.clearNotifications();
      const panel = await BiasPanelView.find(wb, 'run');
      await panel.locator('.review-queue').scrollIntoViewIfNeeded();
      await new Promise((r) => setTimeout(r, 600));
      const layout = await panel.frame.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const rights = Array.from(document.querySelectorAll('.queue-row button, .queue-meta, .queue-bar button')).map((e) => e.getBoundingClientRect().right);
        return { vw, overflow: document.documentElement.scrollWidth - vw, right: Math.max(0, ...rights) };
      });
      assert.equal(layout.overflow, 0, `no horizontal scrolling at ${width} px`);
      assert.ok(layout.right <= layout.vw + 0.5, `the queue ends at ${layout.right} of ${layout.vw}`);
      await wb.screenshot(`review-queue-${width}`);
    });
  }
});
