// Run comparison in real VS Code, as a user tries it on the sample: analyze, edit gla.yaml's templates, press Re-run in
// the bias panel, then Compare with… the first run. The comparison must show the zero-shot recall change the template
// edit caused, equal to (report 2 − report 1) from the two report.json files on disk; an unreadable run folder is
// listed with its reason, never offered; GLA: Compare Runs… picks two runs; screenshots at 1400, 830 and 600 px.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test as nodeTest } from 'node:test';
import type { Report } from '../../server/src/engine/report';
import { repoRoot } from '../helpers/paths';
import { BiasPanelView, panelNumber } from './bias-panel-view';
import { type CodeServer, createSandbox, waitFor, type Sandbox } from './harness';
import { closeSession, openSession } from './session';
import { withFailureScreenshot, type Workbench } from './workbench';

const sample = join(repoRoot, 'samples', 'shapes');
const BROKEN = 'broken-run';
/** One template instead of the sample's three: the tiny CLIP's zero-shot head changes, and with it some recalls. */
const ONE_TEMPLATE = 'templates: ["a {} shape."]';

describe('run comparison: Re-run after a template edit, then Compare with the first run', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let folder: string;
  let runs: string;
  let first: Report;
  let second: Report;
  const test = (name: string, fn: () => Promise<void>) => nodeTest(name, () => withFailureScreenshot(wb, name, fn));
  const newestRun = (except: string[]) =>
    readdirSync(runs).filter((n) => !n.startsWith('.') && !except.includes(n)).map((n) => join(runs, n)).filter((d) => existsSync(join(d, 'report.json'))).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;

  before(async () => {
    sandbox = createSandbox({ theme: 'light', datasets: [] });
    folder = join(sandbox.root, 'my shapes');
    cpSync(sample, folder, { recursive: true });
    runs = join(folder, '.gla', 'runs');
    ({ server, wb } = await openSession(sandbox, folder));
  });

  after(() => closeSession({ server, wb }, sandbox));

  test('analyze, then the panel shows Re-run and Compare with…', async () => {
    await wb.openFile('gla.yaml');
    await wb.runCommand('GLA: Analyze Dataset…');
    await wb.waitForNotification(/Analyzed \d+ images in 8 classes/, 120_000);
    first = readReport(newestRun([]));
    assert.deepEqual(first.templates, ['a photo of a {}.', 'a drawing of a {}.', 'a {} shape.'], 'report.json records the templates');
    // A run folder whose report.json is cut short: it must be listed as unreadable, never offered or thrown on.
    mkdirSync(join(runs, BROKEN), { recursive: true });
    writeFileSync(join(runs, BROKEN, 'report.json'), '{"version": 1, "classes": [');
    await wb.runCommand('View: Close All Editors');
    await wb.makeRoomForEditor();
    await wb.runCommand('GLA: Show Bias Panel');
    const panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${first.runId}`));
    assert.equal(await panel.locator('header.top button.rerun').textContent(), 'Re-run');
    assert.equal(await panel.locator('header.top button.compare').textContent(), 'Compare with…');
  });

  test('after a template edit, Re-run analyzes again and the panel shows the new run, offering to compare', async () => {
    const manifest = join(folder, 'gla.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/^templates:.*$/m, ONE_TEMPLATE));
    let panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${first.runId}`));
    await panel.locator('header.top button.rerun').click();
    await waitFor('the second run on disk', async () => newestRun([first.runId, BROKEN]) ?? undefined, 120_000);
    second = readReport(newestRun([first.runId, BROKEN]));
    assert.deepEqual(second.templates, ['a {} shape.']);
    panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${second.runId}`), 60_000);
    const offer = panel.locator('.rerun-offer');
    await offer.waitFor({ state: 'visible' });
    assert.match((await offer.textContent()) ?? '', /This is the re-run of /);
  });

  test('Compare with… lists the first run (what differs: templates) and the unreadable folder with its reason', async () => {
    const panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${second.runId}`));
    await panel.locator('header.top button.compare').click();
    const rows = wb.page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible' });
    const texts = await waitFor('both rows in the quick pick', async () => {
      const t = (await rows.allTextContents()).map((s) => s.replace(/\s+/g, ' '));
      return t.length >= 2 ? t : undefined;
    });
    const runRow = texts.find((t) => /differs in: templates/.test(t));
    assert.ok(runRow, `the first run is offered with what differs: ${JSON.stringify(texts)}`);
    assert.match(runRow, /GLA top-1 \d+\.\d%/);
    const brokenRow = texts.find((t) => t.includes(BROKEN));
    assert.ok(brokenRow && /not valid JSON/.test(brokenRow) && /unreadable: not offered/.test(brokenRow), `the broken run is listed with its reason: ${JSON.stringify(texts)}`);
    await wb.screenshot('compare-with-quick-pick');
    await rows.filter({ hasText: 'differs in: templates' }).first().click();
    await panel.locator('section.comparison').waitFor({ state: 'visible' });
  });

  test('the comparison names before and after and the template change, and its zero-shot Δrecall equals report 2 − report 1', async () => {
    const panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${second.runId}`));
    const section = panel.locator('section.comparison');
    assert.match((await section.locator('.compared-run.before .id').textContent()) ?? '', new RegExp(first.runId));
    assert.match((await section.locator('.compared-run.after .id').textContent()) ?? '', new RegExp(second.runId));
    const changes = await section.locator('.changes li').allTextContents();
    assert.ok(changes.some((c) => c.startsWith('templates: 3 → 1')), `the template change is named: ${JSON.stringify(changes)}`);
    const headers = await section.locator('thead th').allTextContents();
    assert.deepEqual(headers.map((t) => t.replace(/[▲▼]/g, '')), ['Class', 'Δq', 'Δbias (nats)', 'Δrecall (pts)', 'zero-shot', 'debiased', 'fine-tuned (probe)', 'naive ensemble', 'GLA']);
    const cells = await section.locator('tbody tr').evaluateAll((rows) => rows.map((r) => ({ name: r.getAttribute('data-class') ?? '', zeroShot: r.querySelector('.cmp-dr-zeroShot')?.textContent ?? '', gla: r.querySelector('.cmp-dr-gla')?.textContent ?? '', dq: r.querySelector('.cmp-dq')?.textContent ?? '' })));
    assert.equal(cells.length, first.classes.length);
    let changed = 0;
    for (const cell of cells) {
      const a = first.classes.find((c) => c.name === cell.name)!;
      const b = second.classes.find((c) => c.name === cell.name)!;
      const expected = (b.recall.zeroShot! - a.recall.zeroShot!) * 100;
      // The panel prints one decimal: within half a unit of it.
      assert.ok(Math.abs(panelNumber(cell.zeroShot) - expected) <= 0.05 + 1e-9, `${cell.name}: zero-shot Δ ${cell.zeroShot} pts, report 2 − report 1 = ${expected}`);
      const expectedGla = (b.recall.gla! - a.recall.gla!) * 100;
      assert.ok(Math.abs(panelNumber(cell.gla) - expectedGla) <= 0.05 + 1e-9, `${cell.name}: GLA Δ ${cell.gla} vs ${expectedGla}`);
      if (Math.abs(expected) > 0.05) changed++;
    }
    assert.ok(changed > 0, 'the template edit changed some class\'s zero-shot recall');
    // Label issues that came and went, by path, against the two reports.
    const appeared = second.labelIssues.filter((i) => !first.labelIssues.some((j) => j.path === i.path)).length;
    const disappeared = first.labelIssues.filter((i) => !second.labelIssues.some((j) => j.path === i.path)).length;
    assert.equal(await section.locator('.issue-changes h3').first().textContent(), `Label issues that appeared (${appeared})`);
    assert.equal(await section.locator('.issue-changes h3').nth(1).textContent(), `Label issues that disappeared (${disappeared})`);
    // Sorting by the zero-shot change puts the largest gain first.
    await section.locator('thead th.cmp-dr-zeroShot button.sort').click();
    const sorted = (await section.locator('tbody .cmp-dr-zeroShot').allTextContents()).map(panelNumber);
    assert.deepEqual(sorted, [...sorted].sort((x, y) => y - x));
    assert.equal(await section.locator('thead th.cmp-dr-zeroShot').getAttribute('aria-sort'), 'descending');
  });

  for (const width of [1400, 830, 600]) {
    test(`at ${width} px the comparison fits: nothing of it outside the panel, its table scrolling within itself if need be`, async () => {
      await setPanelWidth(width, 1300);
      const panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${second.runId}`));
      await panel.frame.evaluate(() => document.querySelector('section.comparison')!.scrollIntoView({ block: 'start' }));
      const layout = await panel.frame.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const outside = Array.from(document.querySelectorAll('section.comparison, header.top button, .comparison-head button, .compared-runs, .comparison .changes'))
          .filter((e) => e.getBoundingClientRect().right > vw + 0.5)
          .map((e) => e.className || e.tagName);
        const scroller = document.querySelector('.table-scroll')!;
        // What sticks out, should anything: the innermost elements past the right edge.
        // Only the comparison's own parts and the header are this test's (the confusion list has its own layout test).
        const past = Array.from(document.querySelectorAll('header.top *, .run-tools *')).filter((e) => e.getBoundingClientRect().right > vw + 0.5 && !e.closest('.table-scroll')).slice(-5).map((e) => `${e.tagName}.${e.className}: ${(e.textContent ?? '').slice(0, 30)}`);
        return { vw, outside, past, tableScrolls: scroller.scrollWidth > scroller.clientWidth + 1 };
      });
      assert.ok(layout.vw <= width && layout.vw >= width - 20, `the panel is ${layout.vw} px wide, asked for ${width}`);
      assert.deepEqual(layout.past, [], 'nothing of the header or the comparison sticks out of the panel');
      assert.deepEqual(layout.outside, []);
      if (width >= 830) assert.equal(layout.tableScrolls, false, 'at this width the whole table shows');
      await wb.screenshot(`run-comparison-${width}`);
    });
  }

  test('GLA: Compare Runs… picks two runs of the dataset and shows them in the later run\'s panel', async () => {
    await setPanelWidth(1400);
    let panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${second.runId}`));
    await panel.locator('.comparison-head button.close-comparison').click();
    await panel.locator('section.comparison').waitFor({ state: 'detached' });
    await wb.runCommand('GLA: Compare Runs…');
    const rows = wb.page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible' });
    assert.ok((await rows.allTextContents()).some((t) => t.includes(BROKEN) && /not valid JSON/.test(t)), 'the unreadable folder is listed apart');
    await rows.filter({ hasText: first.runId }).first().click();
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'differs in: templates' }).first().click();
    panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${second.runId}`));
    const section = panel.locator('section.comparison');
    await section.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match((await section.locator('.compared-run.before .id').textContent()) ?? '', new RegExp(first.runId));
    assert.match((await section.locator('.compared-run.after .id').textContent()) ?? '', new RegExp(second.runId));
  });

  test('after Developer: Reload Window the comparison comes back with its panel', async () => {
    await new Promise((r) => setTimeout(r, 500));
    const reload = () => wb.reloadWindow();
    await reload();
    // The restored webview now and then never loads its page (see panel-layout's reload test): one more reload.
    let panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${second.runId}`), 30_000).catch(() => undefined);
    if (!panel) {
      await reload();
      panel = await BiasPanelView.find(wb, 'run', new RegExp(`Run ${second.runId}`), 60_000);
    }
    const section = panel.locator('section.comparison');
    await section.waitFor({ state: 'visible', timeout: 20_000 });
    assert.match((await section.locator('.compared-run.before .id').textContent()) ?? '', new RegExp(first.runId));
    assert.match((await section.locator('.compared-run.after .id').textContent()) ?? '', new RegExp(second.runId));
  });

  /** Sizes the browser so the bias panel (alone in the editor area) is `width` CSS pixels wide (as panel-layout.test.ts does). */
  async function setPanelWidth(width: number, height = 900): Promise<void> {
    await wb.page.setViewportSize({ width: width + 48, height });
    const measure = async () => (await BiasPanelView.find(wb, 'run')).frame.evaluate(() => window.innerWidth);
    const firstWidth = await waitFor('the panel to settle', async () => {
      const a = await measure();
      await new Promise((r) => setTimeout(r, 300));
      return a === (await measure()) ? a : undefined;
    });
    if (firstWidth !== width) await wb.page.setViewportSize({ width: width + 48 + (width - firstWidth), height });
    await waitFor(`the panel ${width} px wide`, async () => (Math.abs((await measure()) - width) <= 2 ? true : undefined));
  }
});
