// GLA: Download Model… and GLA: Select Model… in real VS Code, against a real HTTP server on 127.0.0.1 that answers
// like the Hugging Face hub (HF_ENDPOINT reaches the extension host, and from there the bundled CLI it runs).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test as nodeTest, type TestContext } from 'node:test';
import { filesFor, findModel } from '../../server/src/clip/models/registry';
import { FakeHub, patternBytes } from '../helpers/fake-hub';
import { generatedFixtures } from '../helpers/paths';
import { CodeServer, STATUS_ITEM_SELECTOR, createSandbox, waitFor, type Sandbox } from './harness';
import { Workbench, withFailureScreenshot } from './workbench';

const entry = findModel('clip-vit-base-patch32')!;
const VISION = 'onnx/vision_model.onnx';

/** The extension's model cache: <user data>/User/globalStorage/<extension id>/models/<id>. */
function modelDir(sandbox: Sandbox): string {
  return join(sandbox.userDataDir, 'User', 'globalStorage', 'gla-studio.gla-studio', 'models', entry.id);
}

describe('models in VS Code', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let hub: FakeHub;
  const contents = new Map<string, Buffer>();
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(name, (t) => withFailureScreenshot(wb, name, () => fn(t)));

  before(async () => {
    hub = await new FakeHub().start();
    filesFor(entry, 'fp32').forEach((f, i) => {
      const big = f.path.endsWith('.onnx');
      const bytes = big ? patternBytes(400_000 + i, 70 + i) : Buffer.from(`{"name": "${f.path}"}\n`);
      contents.set(f.path, bytes);
      hub.addFile(entry.repo, f.path, bytes, { lfs: big });
    });
    sandbox = createSandbox({ theme: 'light' });
    sandbox.env.HF_ENDPOINT = hub.url;
    writeFileSync(join(sandbox.workspace, 'shapes', 'gla.yaml'), 'classes:\n  - folder: red_circle\n  - folder: blue_square\n');
    server = await CodeServer.start(sandbox);
    wb = await Workbench.open(server, sandbox.workspace);
    await wb.page.locator(STATUS_ITEM_SELECTOR).waitFor({ state: 'visible', timeout: 30_000 });
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    await hub?.close();
    sandbox?.dispose();
  });

  async function startDownload(): Promise<void> {
    await wb.runCommand('GLA: Download Model…');
    const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: entry.id }).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
  }

  test('Cancel on the progress notification stops a download and keeps the partial file', async () => {
    hub.fault(entry.repo, VISION, { throttle: { chunk: 4096, delayMs: 40 } });
    await startDownload();
    const progress = wb.page.locator('.notifications-toasts .notification-toast', { hasText: `GLA: downloading ${entry.id}` });
    await progress.waitFor({ state: 'visible' });
    const part = join(modelDir(sandbox), `${VISION}.part`);
    await waitFor('the transfer to start', () => (existsSync(part) && statSync(part).size > 50_000 ? true : undefined));
    await wb.screenshot('download-model-progress-light');
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await wb.waitForNotification(/download of clip-vit-base-patch32 cancelled; run it again to resume/);
    await progress.waitFor({ state: 'hidden' });
    const kept = statSync(part).size;
    assert.ok(kept > 50_000 && kept < 400_000, `kept ${kept} bytes`);
    assert.equal(existsSync(join(modelDir(sandbox), VISION)), false, 'no half file under the final name');
  });

  test('downloading again resumes from the partial file and verifies every file', async () => {
    const kept = statSync(join(modelDir(sandbox), `${VISION}.part`)).size;
    hub.fault(entry.repo, VISION, {});
    await startDownload();
    await wb.waitForNotification(/clip-vit-base-patch32 is downloaded/, 60_000);
    for (const [path, bytes] of contents) assert.deepEqual(readFileSync(join(modelDir(sandbox), path)), bytes, path);
    assert.equal(hub.gets(VISION).at(-1)!.range, `bytes=${kept}-`);
  });

  test('GLA: Select Model… lists the known models, marks the downloaded one, and writes gla.model', async () => {
    await wb.runCommand('GLA: Select Model…');
    const rows = wb.page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible' });
    const downloaded = rows.filter({ hasText: entry.id }).first();
    assert.match((await downloaded.textContent()) ?? '', /downloaded/);
    for (const id of ['clip-vit-base-patch16', 'clip-vit-large-patch14']) {
      assert.match((await rows.filter({ hasText: id }).first().textContent()) ?? '', /downloads from Xenova\//);
    }
    await wb.screenshot('select-model-light');
    await rows.filter({ hasText: 'clip-vit-base-patch16' }).first().click();
    await waitFor('the status bar to show the new model', async () => ((await wb.statusText()).includes('GLA: clip-vit-base-patch16') ? true : undefined));
    const settings = JSON.parse(readFileSync(join(sandbox.workspace, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(settings['gla.model'], 'clip-vit-base-patch16');
    assert.deepEqual(readdirSync(join(modelDir(sandbox), '..')), [entry.id], 'selecting downloads nothing');
  });

  test('GLA: Select Fine-tuned Model… offers a folder, a logits file or the probe, and writes gla.finetuned', async () => {
    const classifier = join(generatedFixtures('finetuned'), 'shapes-classifier');
    const settingsFile = join(sandbox.workspace, '.vscode', 'settings.json');
    await wb.runCommand('GLA: Select Fine-tuned Model…');
    const rows = wb.page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible' });
    const labels = await rows.allTextContents();
    assert.equal(labels.length, 3);
    assert.match(labels[0], /Choose a model folder….*image-classification ONNX/);
    assert.match(labels[1], /Choose a logits file…/);
    assert.match(labels[2], /Use the linear probe/);
    await rows.first().click();
    await wb.chooseInFileDialog(classifier, 'Use This Model');
    await wb.waitForNotification(/fine-tuned model set to .*shapes-classifier/);
    await waitFor('gla.finetuned in the workspace settings', async () => {
      const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
      return settings['gla.finetuned'] === classifier ? true : undefined;
    });
    // Back to the probe: the setting goes.
    await wb.clearNotifications();
    await wb.runCommand('GLA: Select Fine-tuned Model…');
    await rows.filter({ hasText: 'Use the linear probe' }).first().click();
    await wb.waitForNotification(/runs use the linear probe/);
    await waitFor('gla.finetuned removed', async () => (!('gla.finetuned' in (JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>)) ? true : undefined));
  });
});
