// A newcomer's first look at GLA Studio in real VS Code (code-server), installed from its VSIX: the Get Started
// walkthrough and its steps, the icon in the Extensions view, the users' README on the extension page, and a status
// bar that names the model the next run will use. One code-server session for the whole file.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test as nodeTest } from 'node:test';
import type { Frame } from 'playwright-core';
import { CodeServer, STATUS_ITEM_SELECTOR, createSandbox, waitFor, type Sandbox } from './harness';
import { Workbench, withFailureScreenshot } from './workbench';

const WALKTHROUGH = 'Get Started with GLA Studio';
const STEPS = ['Open a dataset folder', 'Pick a CLIP model', 'Analyze the dataset', 'Read the bias panel', 'Fix a suspected label error'];

describe('Getting started with GLA Studio in VS Code', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let manifestPath: string;
  const test = (name: string, fn: () => Promise<void>) => nodeTest(name, () => withFailureScreenshot(wb, name, fn));

  /** The walkthrough step's checkbox: aria-checked says whether VS Code counts the step as done. */
  const stepDone = async (stepId: string) => (await wb.page.locator(`[data-done-step-id$="#${stepId}"]`).first().getAttribute('aria-checked')) === 'true';

  before(async () => {
    sandbox = createSandbox({ theme: 'light' });
    manifestPath = join(sandbox.workspace, 'shapes', 'gla.yaml');
    // A dataset whose gla.yaml names another model than the gla.model setting (clip-vit-base-patch32 by default).
    writeFileSync(manifestPath, 'model: clip-vit-large-patch14\ntemplates: ["a photo of a {}."]\n');
    // A text file in a dataset without a gla.yaml, where the setting decides.
    writeFileSync(join(sandbox.workspace, 'flowers', 'notes.txt'), 'flowers from the garden\n');
    server = await CodeServer.start(sandbox);
    wb = await Workbench.open(server, sandbox.workspace);
    await wb.page.locator(STATUS_ITEM_SELECTOR).waitFor({ state: 'visible', timeout: 30_000 });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    sandbox?.dispose();
  });

  test('Welcome: Open Walkthrough… lists the GLA walkthrough; it shows its five steps, the dataset step already done', async () => {
    await wb.runCommand('Welcome: Open Walkthrough...');
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: WALKTHROUGH }).first().click();
    const titles = wb.page.locator('.gettingStartedContainer h3.step-title');
    await waitFor('the walkthrough steps', async () => ((await titles.count()) === STEPS.length ? true : undefined));
    assert.deepEqual((await titles.allTextContents()).map((t) => t.trim()), STEPS);
    // The workspace holds a gla.yaml, so the extension set gla.hasManifest; no run has finished, so gla.hasRun is unset.
    await waitFor('the dataset step to be done', async () => (await stepDone('open-dataset')) || undefined, 30_000);
    assert.equal(await stepDone('analyze'), false);
  });

  test("running a step's command from its button marks the step done", async () => {
    await wb.page.locator('.gettingStartedContainer h3.step-title', { hasText: 'Pick a CLIP model' }).click();
    const description = wb.page.locator('[x-step-description-for$="#pick-model"]');
    assert.equal(await stepDone('pick-model'), false);
    await description.getByRole('button', { name: 'Select Model…' }).click();
    // The button ran GLA: Select Model… (onCommand:gla.selectModel); its picker is left unanswered.
    await waitFor('the model step to be done', async () => (await stepDone('pick-model')) || undefined);
    assert.equal(await stepDone('fix-label-error'), false, 'no label fix was applied');
    await wb.screenshot('walkthrough-light');
  });

  test('the Extensions view shows the extension with its icon', async () => {
    await wb.focusWorkbench();
    await wb.page.keyboard.press('Control+Shift+X'); // the Extensions view: its Installed section lists this extension
    const row = wb.page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'GLA Studio' }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    const icon = row.locator('img.icon');
    const loaded = await waitFor('the icon to load', async () => {
      const size = await icon.evaluate((img: HTMLImageElement) => (img.complete ? [img.naturalWidth, img.naturalHeight, img.src] : undefined));
      return size && size[0] ? size : undefined;
    });
    assert.deepEqual(loaded.slice(0, 2), [128, 128]);
    assert.match(decodeURIComponent(String(loaded[2])), /gla-studio\.gla-studio-[^/]+\/dist\/icon\.png/);
    await wb.screenshot('extensions-icon-light');
  });

  test("the extension page shows the users' README, its screenshots inlined so that they load offline", async () => {
    await wb.page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'GLA Studio' }).first().click();
    const readme = await waitFor('the README in the extension page', () => readmeFrame(wb));
    const text = (await readme.locator('body').textContent()) ?? '';
    assert.match(text, /The first five minutes/);
    assert.match(text, /Privacy: everything runs on your machine/);
    assert.doesNotMatch(text, /run from the repository root/i, 'not the developer README');
    const images = await waitFor('the README images decoded', async () => {
      const all = await readme.locator('img').evaluateAll((imgs) => imgs.map((i) => ({ src: (i as HTMLImageElement).getAttribute('src') ?? '', width: (i as HTMLImageElement).naturalWidth })));
      return all.length >= 2 && all.every((i) => i.width > 0) ? all : undefined;
    });
    for (const image of images) assert.ok(image.src.startsWith('data:image/jpeg;base64,'), image.src.slice(0, 40));
    await wb.screenshot('extension-page-light');
  });

  test("the status bar names gla.yaml's model while its dataset is open, and the setting's elsewhere", async () => {
    await wb.runCommand('View: Close All Editors');
    await waitFor('the setting in the status bar', async () => ((await wb.statusText()).includes('GLA: clip-vit-base-patch32') ? true : undefined));
    assert.match(await wb.statusLabel(), /model clip-vit-base-patch32 from the gla\.model setting/);

    await wb.openFile('shapes/gla.yaml');
    await waitFor("gla.yaml's model in the status bar", async () => ((await wb.statusText()).includes('GLA: clip-vit-large-patch14') ? true : undefined));
    assert.match(await wb.statusLabel(), /model clip-vit-large-patch14 from gla\.yaml/);

    // gla.yaml changes on disk (a git checkout): the status bar follows.
    writeFileSync(manifestPath, 'model: clip-vit-base-patch16\ntemplates: ["a photo of a {}."]\n');
    await waitFor('the edited model in the status bar', async () => ((await wb.statusText()).includes('GLA: clip-vit-base-patch16') ? true : undefined));
    await wb.page.locator(STATUS_ITEM_SELECTOR).hover();
    const tooltip = wb.page.locator('.monaco-hover', { hasText: 'GLA Studio' }).first();
    await tooltip.waitFor({ state: 'visible' });
    assert.match((await tooltip.textContent()) ?? '', /clip-vit-base-patch16 \(from gla\.yaml: shapes\/gla\.yaml\)/);
    await wb.screenshot('status-bar-model-light');

    await wb.openFile('flowers/notes.txt');
    await waitFor('the setting again', async () => ((await wb.statusText()).includes('GLA: clip-vit-base-patch32') ? true : undefined));
    assert.match(await wb.statusLabel(), /from the gla\.model setting/);
  });
});

/** The extension editor's README: a webview (two nested iframes) whose body holds the rendered markdown. */
async function readmeFrame(wb: Workbench): Promise<Frame | undefined> {
  for (const frame of wb.page.frames()) {
    const heading = await frame.evaluate(() => document.querySelector('h1')?.textContent ?? '').catch(() => '');
    if (heading.trim() === 'GLA Studio' && (await frame.evaluate(() => document.body.textContent?.includes('The first five minutes')).catch(() => false))) return frame;
  }
  return undefined;
}
