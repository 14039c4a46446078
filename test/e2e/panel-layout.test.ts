// The bias panel in real VS Code (code-server), after a run with the tiny CLIP: its tab title, its layout from 600 px
// to full width, every column's unit, the files the run could not read, gla.showClassInBiasPanel focusing a row,
// "Move there" undone on disk, and the panel coming back after a window reload.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test as nodeTest } from 'node:test';
import { runPanelTitle } from '../../client/src/panel-title';
import type { Report } from '../../server/src/engine/report';
import { generatedFixtures } from '../helpers/paths';
import { BiasPanelView } from './bias-panel-view';
import { type CodeServer, createSandbox, glaLog, waitFor, type Sandbox } from './harness';
import { analyzeManifest, closeSession, openSession, showBiasPanelAlone } from './session';
import { withFailureScreenshot, type Workbench } from './workbench';

const fixture = JSON.parse(readFileSync(join(generatedFixtures('e2e-workspace'), 'manifest.json'), 'utf8')) as { shapes: string[] };
const tinyClip = join(generatedFixtures('models'), 'tiny-clip');

/** A blue square filed as a red circle: the tiny CLIP reads colour, so it is a suspected label error. */
const PLANTED = { path: 'train/red_circle/planted-blue-square.png', from: 'train/blue_square/0.png' };
/** A PNG cut short: the run cannot decode it and lists it in report.json's `failed`. */
const TRUNCATED = 'train/blue_square/truncated.png';
/** Prompts far longer than the class names, so a narrow Class column has to shrink one of them. */
const prompt = (c: string) => `a flat ${c.replace(/_/g, ' ')}`;
/**
 * Keys nobody else binds, bound in the sandbox's keybindings.json to gla.showClassInBiasPanel with arguments (the
 * way a user passes a command arguments): a class of the last run, and a class of another run (the fixture's canned one).
 */
const SHOW_IN_LAST_RUN = { key: 'ctrl+shift+alt+f9', press: 'Control+Shift+Alt+F9', className: 'red_circle' };
const SHOW_IN_OTHER_RUN = { key: 'ctrl+shift+alt+f10', press: 'Control+Shift+Alt+F10' };
const FIXTURE_RUN = 'fixture-run';

describe('the bias panel: layout, title, units, unreadable files, show class, undo, reload', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let report: Report;
  let runDir: string;
  let title: string;
  let otherRunClass: string;
  const test = (name: string, fn: () => Promise<void>) => nodeTest(name, () => withFailureScreenshot(wb, name, fn));

  before(async () => {
    sandbox = createSandbox({ theme: 'light', datasets: ['shapes'] });
    const shapes = join(sandbox.workspace, 'shapes');
    const classes = fixture.shapes.map((c) => `  - folder: ${c}\n    prompt: ${prompt(c)}\n`).join('');
    writeFileSync(join(shapes, 'gla.yaml'), `model: ${JSON.stringify(tinyClip)}\nclasses:\n${classes}templates: ["a photo of a {}."]\n`);
    copyFileSync(join(shapes, PLANTED.from), join(shapes, PLANTED.path));
    writeFileSync(join(shapes, TRUNCATED), readFileSync(join(shapes, 'train/blue_square/1.png')).subarray(0, 60));
    const fixtureRun = join(sandbox.workspace, '.gla', 'runs', FIXTURE_RUN);
    cpSync(join(generatedFixtures('e2e-workspace'), 'runs', FIXTURE_RUN), fixtureRun, { recursive: true });
    otherRunClass = (JSON.parse(readFileSync(join(fixtureRun, 'report.json'), 'utf8')) as Report).classes.at(-1)!.name;
    writeFileSync(
      join(sandbox.userDataDir, 'User', 'keybindings.json'),
      JSON.stringify([
        { key: SHOW_IN_LAST_RUN.key, command: 'gla.showClassInBiasPanel', args: { className: SHOW_IN_LAST_RUN.className } },
        { key: SHOW_IN_OTHER_RUN.key, command: 'gla.showClassInBiasPanel', args: { className: otherRunClass, runDir: fixtureRun } },
      ]),
    );
    ({ server, wb } = await openSession(sandbox, sandbox.workspace));

    await analyzeManifest(wb, 'shapes/gla.yaml');
    const runs = join(sandbox.workspace, '.gla', 'runs');
    runDir = readdirSync(runs).filter((id) => id !== FIXTURE_RUN).map((id) => join(runs, id)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as Report;
    title = runPanelTitle(shapes, runDir, report.createdAt, Number.NaN);
    await showBiasPanelAlone(wb);
  });

  after(() => closeSession({ server, wb }, sandbox));

  test("the tab reads 'GLA Bias · <dataset folder> · <the run's local date and time>'", async () => {
    assert.match(title, /^GLA Bias · shapes · .*\d{1,2}:\d{2}/, 'the title the extension should show');
    await wb.page.locator('.tabs-container .tab.active', { hasText: title }).waitFor({ state: 'visible' });
    assert.equal(await wb.activeTabTitle(), title);
  });

  test('every column header names its unit, in its label and its tooltip', async () => {
    const panel = await BiasPanelView.find(wb, 'run');
    const headers = await panel.locator('[role="columnheader"]').evaluateAll((els) => els.map((e) => ({ text: (e.querySelector('.label')?.textContent ?? '').trim(), title: e.getAttribute('title') ?? '' })));
    const byLabel = Object.fromEntries(headers.map((h) => [h.text, h.title]));
    assert.deepEqual(headers.map((h) => h.text), ['Class', 'q', 'Bias (nats)', 'q, log scale', 'Recall (%): zero-shot → GLA', 'Gain (pts)', 'P (%)', 'R (%)', 'F1 (%)', 'Images', 'Label issues']);
    assert.match(byLabel['F1 (%)'], /F1 in percent under GLA/);
    assert.match(byLabel['q'], /probability from 0 to 1/);
    assert.match(byLabel['Bias (nats)'], /nats: log\(C·q\)/);
    assert.match(byLabel['Gain (pts)'], /percentage points: GLA recall − zero-shot recall/);
    assert.match(byLabel['Recall (%): zero-shot → GLA'], /recall in percent/);
    assert.match(byLabel['Images'], /a count/);
    assert.match(byLabel['Label issues'], /a count/);
  });

  for (const width of [1400, 830, 600]) {
    test(`at ${width} px nothing is clipped or overlaps, and no class name is cut while its prompt shows`, async () => {
      // Tall enough that the whole panel, every row of the table included, is on screen and in the screenshot.
      await setPanelWidth(width, 1500);
      const panel = await BiasPanelView.find(wb, 'run');
      await panel.showTable();
      await panel.frame.evaluate(() => window.scrollTo(0, 0));
      const layout = await panel.frame.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const box = (e: Element) => e.getBoundingClientRect();
        const outside = (sel: string) =>
          Array.from(document.querySelectorAll(sel)).filter((e) => (e as HTMLElement).offsetParent !== null && (box(e).right > vw + 0.5 || box(e).left < -0.5)).map((e) => `${sel}: ${(e.textContent ?? '').trim().slice(0, 40)}`);
        const overlaps = (sel: string) => {
          const els = Array.from(document.querySelectorAll(sel)).map(box);
          const hits: string[] = [];
          for (let i = 0; i < els.length; i++)
            for (let j = i + 1; j < els.length; j++) {
              const a = els[i];
              const b = els[j];
              if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) hits.push(`${sel} ${i} and ${j}`);
            }
          return hits;
        };
        const cut = (sel: string) => Array.from(document.querySelectorAll(sel)).filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => (e.textContent ?? '').trim());
        const headerCells = Array.from(document.querySelectorAll('.row.header .cell')).filter((e) => (e as HTMLElement).offsetParent !== null);
        return {
          vw,
          pageOverflow: document.documentElement.scrollWidth - vw,
          outside: ['header.top button.primary', '.card', '.filters .toggle', '.toolbar .count', '.row.header .cell', '.rows .row .c-issues', '.rows .row .c-support', '.failed summary'].flatMap(outside),
          overlaps: ['.card', '.filters .toggle', '.row.header .cell .label'].flatMap(overlaps),
          cutHeaders: cut('.row.header .label'),
          cutNames: cut('.rows .row .name'),
          // A prompt gives way by shrinking (an ellipsis) or, with under 4em left, by wrapping onto the name box's hidden second line.
          shrunkPrompts: Array.from(document.querySelectorAll<HTMLElement>('.rows .row .prompt')).filter((e) => e.scrollWidth > e.clientWidth + 1 || e.offsetTop > (e.previousElementSibling as HTMLElement).offsetTop).length,
          stubPrompts: Array.from(document.querySelectorAll<HTMLElement>('.rows .row .prompt')).filter((e) => e.offsetTop === (e.previousElementSibling as HTMLElement).offsetTop && e.clientWidth < 30).map((e) => e.textContent),
          headerCells: headerCells.length,
          rowTitles: Array.from(document.querySelectorAll('.rows .row')).map((r) => r.getAttribute('title') ?? ''),
        };
      });
      assert.ok(layout.vw <= width && layout.vw >= width - 20, `the panel's page is ${layout.vw} px wide (less its scroll bar), asked for ${width}`);
      assert.equal(layout.pageOverflow, 0, 'no horizontal scrolling');
      assert.deepEqual(layout.outside, [], 'everything inside the panel');
      assert.deepEqual(layout.overlaps, [], 'nothing overlaps');
      assert.deepEqual(layout.cutHeaders, [], 'no header truncated');
      assert.equal(layout.rowTitles.length, fixture.shapes.length, 'every row is on screen');
      assert.deepEqual(layout.cutNames, [], 'no class name truncated');
      assert.deepEqual(layout.stubPrompts, [], 'a prompt either shows a few words or is hidden, never a stub');
      for (const c of fixture.shapes) assert.ok(layout.rowTitles.some((t) => t.startsWith(`${c} (“${prompt(c)}”)`)), `${c}'s row keeps its full prompt in its title`);
      // At full width there is room for every prompt; at 600 px the prompts are the ones that give way.
      if (width === 1400) assert.ok(layout.shrunkPrompts < fixture.shapes.length, 'at 1400 px prompts show whole');
      if (width === 600) assert.ok(layout.shrunkPrompts > 0, 'at 600 px the prompts shrink');
      assert.equal(layout.headerCells, width <= 720 ? 8 : 11, 'below 720 px the q chart column gives way to the Bias number, and P and R to F1');
      const shot = await wb.screenshot(`panel-${width}`);
      assert.ok(existsSync(shot));
    });
  }

  test('the files the run could not read are listed with their reasons, and each path opens its file', async () => {
    await setPanelWidth(1400);
    assert.ok(report.failed.some((f) => f.path === TRUNCATED), `report.json lists ${TRUNCATED} as failed: ${JSON.stringify(report.failed)}`);
    const panel = await BiasPanelView.find(wb, 'run');
    const section = panel.locator('details.failed');
    assert.equal(await section.locator('summary h2').textContent(), `Files the run could not read (${report.failed.length})`);
    assert.equal(await section.getAttribute('open'), '', 'a short list starts open');
    const items = await section.locator('li').evaluateAll((els) => els.map((e) => ({ path: e.querySelector('.path')?.textContent ?? '', error: e.querySelector('.error')?.textContent ?? '' })));
    assert.deepEqual(items, report.failed.map((f) => ({ path: f.path, error: f.error })));
    await section.locator('button.path', { hasText: TRUNCATED }).click();
    await waitFor(`${basename(TRUNCATED)} open`, async () => ((await wb.activeTabTitle()) === basename(TRUNCATED) ? true : undefined));
    await wb.runCommand('View: Close Editor');
    await BiasPanelView.find(wb, 'run');
  });

  test('gla.showClassInBiasPanel (a key bound with its arguments) selects, scrolls to and focuses the row, clearing a filter that hid it', async () => {
    const target = SHOW_IN_LAST_RUN.className;
    const hiding = report.classes.find((c) => c.name === target)!.group === 'head' ? 'Tail' : 'Head';
    const panel = await BiasPanelView.find(wb, 'run');
    await panel.toggle(hiding).click();
    await waitFor(`only the ${hiding} classes`, async () => ((await panel.rows()).every((r) => r.name !== target) ? true : undefined));
    await panel.frame.evaluate(() => window.scrollTo(0, 0));
    await wb.focusWorkbench();
    await wb.page.keyboard.press(SHOW_IN_LAST_RUN.press);
    const after = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${report.runId}`));
    const focused = await waitFor(`${target}'s row focused`, () => focusedRow(after));
    assert.equal(focused, target);
    const rows = await after.rows();
    assert.equal(rows.length, fixture.shapes.length, 'the filter that hid it was cleared');
    assert.ok(rows.find((r) => r.name === target)?.focused, `${target} has the focus`);
    assert.equal(await after.toggle(hiding).getAttribute('aria-pressed'), 'false');
    const row = await after.row(target);
    assert.equal(await row.getAttribute('aria-selected'), 'true');
    assert.ok(await row.evaluate((e) => e.getBoundingClientRect().top >= 0 && e.getBoundingClientRect().bottom <= window.innerHeight), 'the row is on screen');
    await after.waitForStatus(new RegExp(`Showing ${target}`));
    assert.equal(await wb.activeTabTitle(), title, 'the last run\'s own panel, not a new one');
  });

  test('gla.showClassInBiasPanel with another run\'s runDir opens that run\'s panel at the class', async () => {
    await wb.focusWorkbench();
    await wb.page.keyboard.press(SHOW_IN_OTHER_RUN.press);
    const other = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${FIXTURE_RUN}`));
    assert.equal(await waitFor(`${otherRunClass}'s row focused`, () => focusedRow(other)), otherRunClass);
    await wb.runCommand('View: Close Editor');
    await BiasPanelView.find(wb, 'run', new RegExp(`Run ${report.runId}`));
  });

  test('undoing "Move there" puts the image back, and the panel follows the disk: "moved" becomes "Move there" again', async () => {
    const issue = report.labelIssues.find((li) => li.path === PLANTED.path);
    assert.ok(issue, `${PLANTED.path} is a suspected label error: ${JSON.stringify(report.labelIssues)}`);
    const from = join(sandbox.workspace, 'shapes', PLANTED.path);
    const moved = `train/${issue.suggested}/${basename(PLANTED.path)}`;
    const to = join(sandbox.workspace, 'shapes', moved);
    const moveButton = (p: BiasPanelView) => p.locator(`.thumb-item:has(img[src*="${basename(PLANTED.path)}"]) button.move`);
    let panel = await BiasPanelView.find(wb, 'run');
    await clearFilters(panel);
    await moveButton(panel).click();
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor();
    await dialog.locator('.monaco-button', { hasText: 'Move' }).click();
    await waitFor('the image to move', async () => (existsSync(to) && !existsSync(from) ? true : undefined));
    panel = await BiasPanelView.find(wb, 'run');
    await waitFor('"moved"', async () => ((await moveButton(panel).textContent()) === 'moved' ? true : undefined));
    // The same page must see the undo: a reloaded page would read the disk anyway.
    await panel.frame.evaluate(() => ((window as unknown as { samePage: boolean }).samePage = true));

    // Undo applies to the active editor's resource: open the moved image beside the panel, then Undo.
    await wb.focusWorkbench();
    await wb.page.keyboard.press('Control+P');
    const input = wb.page.locator('.quick-input-widget input[type="text"]');
    await input.fill(`shapes/${moved}`);
    await waitFor(`${moved} first in Quick Open`, async () => ((await wb.page.locator('.quick-input-list .monaco-list-row').first().getAttribute('aria-label'))?.startsWith(basename(moved)) ? true : undefined));
    await wb.page.keyboard.press('Control+Enter');
    await waitFor(`${basename(moved)} open`, async () => ((await wb.activeTabTitle()) === basename(moved) ? true : undefined));
    // Under load the first Undo now and then lands before the image editor holds the focus: try it again, up to three times.
    const back = async () => (existsSync(from) && !existsSync(to) ? true : undefined);
    for (let attempt = 0; attempt < 3 && !(await back()); attempt++) {
      await wb.page.locator('.tabs-container .tab', { hasText: basename(moved) }).click();
      await wb.runCommand('Undo');
      // VS Code may ask before undoing an edit that touched several files.
      const confirm = dialog.locator('.monaco-button', { hasText: /Undo/ }).first();
      await confirm.waitFor({ timeout: 2_000 }).then(() => confirm.click(), () => undefined);
      await waitFor('the image back where it was', back, 6_000).catch(() => undefined);
    }
    await waitFor('the image back where it was', back);
    panel = await BiasPanelView.find(wb, 'run');
    await waitFor('"Move there" again', async () => ((await moveButton(panel).textContent()) === 'Move there' ? true : undefined));
    assert.equal(await moveButton(panel).isDisabled(), false);
    assert.equal(await panel.frame.evaluate(() => (window as unknown as { samePage?: boolean }).samePage), true, 'the open page followed the disk');
  });

  test('after Developer: Reload Window the panel comes back with the same run, title and filters', async () => {
    let panel = await BiasPanelView.find(wb, 'run');
    await panel.toggle('Tail').click();
    await waitFor('the tail filter on', async () => ((await panel.toggle('Tail').getAttribute('aria-pressed')) === 'true' ? true : undefined));
    const tail = report.classes.filter((c) => c.group === 'tail').map((c) => c.name).sort();
    await waitFor('only the tail', async () => ((await panel.rows()).map((r) => r.name).sort().join() === tail.join() ? true : undefined));
    // The page saves its state a moment after a change.
    await new Promise((r) => setTimeout(r, 500));
    const reload = () => wb.reloadWindow();
    await reload();
    // Known open bug: now and then the restored webview never loads its page (the frame holds only the workbench's
    // resources). A second reload restores it; the panel must still come back from its saved state, not be reopened.
    let restored: BiasPanelView | undefined;
    for (let attempt = 0; attempt < 2 && !restored; attempt++) {
      restored = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${report.runId}`), 30_000).catch(() => undefined);
      if (!restored) await reload();
    }
    panel = restored ?? await BiasPanelView.find(wb, 'run', new RegExp(`Run ${report.runId}`), 60_000).catch(async (err: Error) => {
      // Say what the webview frames held, so a failure tells a lost message from a script that never loaded.
      const frames = await Promise.all(
        wb.page.frames().map((f) => f.evaluate(() => `${location.pathname.slice(-40)}: ${document.body?.innerText.slice(0, 80)} | resources: ${performance.getEntriesByType('resource').map((e) => e.name.split('/').pop()).join(', ')}`).catch(() => 'gone')),
      );
      err.message += `\nframes:\n${frames.join('\n')}\nGLA log:\n${glaLog(sandbox).split('\n').filter((l) => /bias panel|activate/.test(l)).join('\n')}`;
      throw err;
    });
    await wb.page.locator('.tabs-container .tab', { hasText: title }).waitFor({ state: 'visible' });
    assert.equal(await panel.toggle('Tail').getAttribute('aria-pressed'), 'true', 'the filter came back too');
    assert.deepEqual((await panel.rows()).map((r) => r.name).sort(), tail);
    await wb.screenshot('panel-restored');
  });

  /** The name in the focused row of the panel, if a row has the focus. */
  async function focusedRow(panel: BiasPanelView): Promise<string | undefined> {
    return (await panel.frame.evaluate(() => document.activeElement?.closest('.rows .row')?.querySelector('.name')?.textContent ?? '')) || undefined;
  }

  /** Every filter toggle off, so each test sees every class whatever ran before it. */
  async function clearFilters(panel: BiasPanelView): Promise<void> {
    for (const pressed of await panel.locator('.filters button.toggle[aria-pressed="true"]').all()) await pressed.click();
  }

  /** Sizes the browser so the bias panel (alone in the editor area) is `width` CSS pixels wide. */
  async function setPanelWidth(width: number, height = 900): Promise<void> {
    await wb.page.setViewportSize({ width: width + 48, height });
    const measure = async () => (await BiasPanelView.find(wb, 'run')).frame.evaluate(() => window.innerWidth);
    // The activity bar's width is the theme's: correct by what the panel measures.
    const first = await waitFor('the panel to settle', async () => {
      const a = await measure();
      await new Promise((r) => setTimeout(r, 300));
      return a === (await measure()) ? a : undefined;
    });
    if (first !== width) await wb.page.setViewportSize({ width: width + 48 + (width - first), height });
    await waitFor(`the panel ${width} px wide`, async () => (Math.abs((await measure()) - width) <= 2 ? true : undefined));
  }
});
