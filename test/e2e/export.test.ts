// GLA: Export Classifier… in real VS Code: analyze the sample, export from the palette through the save dialog, see
// the summary, and the folder is an ONNX classifier; then again from the bias panel's header button.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test as nodeTest, type TestContext } from 'node:test';
import { repoRoot } from '../helpers/paths';
import { type CodeServer, createSandbox, waitFor, type Sandbox } from './harness';
import { closeSession, openSession } from './session';
import { BiasPanelView } from './bias-panel-view';
import { withFailureScreenshot, type Workbench } from './workbench';

describe('GLA: Export Classifier…', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let folder: string;
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(name, (t) => withFailureScreenshot(wb, name, () => fn(t)));

  before(async () => {
    sandbox = createSandbox({ theme: 'light', datasets: [] });
    folder = join(sandbox.root, 'shapes');
    cpSync(join(repoRoot, 'samples', 'shapes'), folder, { recursive: true });
    ({ server, wb } = await openSession(sandbox, folder));
  });

  after(() => closeSession({ server, wb }, sandbox));

  test('from the palette: a save dialog, a summary, and the folder is an ONNX classifier of the run', async () => {
    await wb.openFile('gla.yaml');
    await wb.runCommand('GLA: Analyze Dataset…');
    await wb.waitForNotification(/Analyzed \d+ images in 8 classes/, 120_000);
    await wb.clearNotifications();
    const target = join(sandbox.root, 'exported classifier');
    await wb.runCommand('GLA: Export Classifier…');
    await wb.answerFileDialog(target, 'OK');
    const summary = await wb.waitForNotification(/exported the gla classifier \(8 classes, fp32\) to .*exported classifier/, 60_000);
    assert.match(summary, /onnx\/model\.onnx \(pixel_values → logits\), config\.json, preprocessor_config\.json/);
    await wb.screenshot('export-classifier-summary-light');
    assert.deepEqual(readdirSync(target).sort(), ['config.json', 'onnx', 'preprocessor_config.json']);
    assert.ok(existsSync(join(target, 'onnx', 'model.onnx')));
    const config = JSON.parse(readFileSync(join(target, 'config.json'), 'utf8'));
    assert.equal(Object.keys(config.id2label).length, 8);
    const [run] = readdirSync(join(folder, '.gla', 'runs')).filter((n) => !n.startsWith('.'));
    assert.equal(config.gla.run.id, run);
  });

  test('from the bias panel\'s header: Export Classifier… writes another folder and says where', async () => {
    await wb.clearNotifications();
    await wb.runCommand('GLA: Show Bias Panel');
    const panel = await BiasPanelView.find(wb, 'run');
    const target = join(sandbox.root, 'from-panel');
    await panel.locator('button', { hasText: 'Export Classifier…' }).click();
    await wb.answerFileDialog(target, 'OK');
    await waitFor('the exported folder', () => existsSync(join(target, 'onnx', 'model.onnx')) || undefined, 60_000);
    await (await BiasPanelView.find(wb, 'run')).waitForStatus(/Exported the classifier to .*from-panel/, 30_000);
    await wb.screenshot('export-classifier-panel-light');
  });
});
