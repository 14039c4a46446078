// Workspace trust (issue 5): in Restricted Mode gla.yaml is still checked as you type, but no model runs and nothing
// is downloaded. An untrusted workspace in real VS Code (code-server), dark theme.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test as nodeTest, type TestContext } from 'node:test';
import { generatedFixtures } from '../helpers/paths';
import { CodeServer, STATUS_ITEM_SELECTOR, createSandbox, waitFor, type Sandbox } from './harness';
import { Workbench, withFailureScreenshot } from './workbench';

const shapes = (JSON.parse(readFileSync(join(generatedFixtures('e2e-workspace'), 'manifest.json'), 'utf8')) as { shapes: string[] }).shapes;

describe('GLA Studio in Restricted Mode', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(name, (t) => withFailureScreenshot(wb, name, () => fn(t)));

  before(async () => {
    sandbox = createSandbox({ theme: 'dark', trusted: false });
    const classes = [...shapes, 'purple_hexagon'].map((c) => `  - folder: ${c}\n`).join('');
    writeFileSync(join(sandbox.workspace, 'shapes', 'gla.yaml'), `model: ${JSON.stringify(join(generatedFixtures('models'), 'tiny-clip'))}\nclasses:\n${classes}`);
    server = await CodeServer.start(sandbox);
    wb = await Workbench.open(server, sandbox.workspace);
  });

  after(async () => {
    await wb?.close();
    await server?.stop();
    sandbox?.dispose();
  });

  test('the extension runs in Restricted Mode and still checks gla.yaml as you type', async () => {
    await wb.page.locator(STATUS_ITEM_SELECTOR).waitFor({ state: 'visible', timeout: 30_000 });
    await waitFor('the worker to run in restricted mode', async () => {
      const label = await wb.statusLabel();
      return label.includes('worker running') && label.includes('restricted mode') ? true : undefined;
    });
    await wb.openFile('shapes/gla.yaml');
    const problems = await wb.waitForProblems((ps) => ps.some((p) => p.severity === 'Error' && p.message.includes("'purple_hexagon'")));
    assert.equal(problems.find((p) => p.message.includes("'purple_hexagon'"))!.line, 3 + shapes.length);
  });

  test('GLA: Download Model… downloads nothing and says why', async () => {
    await wb.runCommand('GLA: Download Model…');
    await wb.waitForNotification(/nothing is downloaded in Restricted Mode/);
    assert.equal(existsSync(join(sandbox.root, 'cache', 'models')), false);
  });

  test('GLA: Analyze Dataset… (on the open gla.yaml) runs no model and says why', async () => {
    await wb.openFile('shapes/gla.yaml');
    await wb.runCommand('GLA: Analyze Dataset…');
    const message = await wb.waitForNotification(/restricted mode, so no model is run/i);
    assert.match(message, /Manage Workspace Trust/);
    assert.doesNotMatch(message, /Select Model/);
    // The progress notification closes once the worker has answered.
    await wb.waitForNoNotification(/GLA: analyzing shapes/);
    assert.equal(existsSync(join(sandbox.workspace, '.gla')), false, 'no run folder may be written');
    assert.equal(existsSync(join(sandbox.workspace, 'shapes', '.gla')), false, 'no run folder may be written');
    await wb.screenshot('restricted-mode-dark');
  });
});
