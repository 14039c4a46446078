// What a new user meets first, in real VS Code: a fresh copy of the sample (samples/shapes, made by
// scripts/make-samples.mjs) opened as the workspace in a new folder. Analyze works the first time with no settings
// edited, "biased against" appears only where q < 1/C, nothing is written outside the opened folder, and Select
// Model, with gla.yaml naming a model, edits that line instead of writing a setting that cannot win.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test as nodeTest, type TestContext } from 'node:test';
import type { Report } from '../../server/src/engine/report';
import { repoRoot } from '../helpers/paths';
import { treeDigest } from '../helpers/tree-digest';
import { type CodeServer, createSandbox, waitFor, type Sandbox } from './harness';
import { closeSession, openSession } from './session';
import { withFailureScreenshot, type Workbench } from './workbench';

const sample = join(repoRoot, 'samples', 'shapes');

describe('the first five minutes with the sample', () => {
  let sandbox: Sandbox;
  let server: CodeServer;
  let wb: Workbench;
  let parent: string;
  let folder: string;
  let parentBefore: string;
  let report: Report;
  const test = (name: string, fn: (t: TestContext) => Promise<void>) => nodeTest(name, (t) => withFailureScreenshot(wb, name, () => fn(t)));

  before(async () => {
    if (!existsSync(join(sample, 'gla.yaml'))) throw new Error(`e2e: the sample is missing at ${sample}: run node scripts/make-samples.mjs (setup.sh does)`);
    sandbox = createSandbox({ theme: 'light', datasets: [] });
    // A new folder somewhere else, as a user copies the sample: it must not depend on where the repository is.
    parent = join(sandbox.root, 'elsewhere');
    folder = join(parent, 'my shapes');
    mkdirSync(parent, { recursive: true });
    cpSync(sample, folder, { recursive: true });
    parentBefore = treeDigest(parent, ['my shapes']);
    ({ server, wb } = await openSession(sandbox, folder));
  });

  after(() => closeSession({ server, wb }, sandbox));

  test('Analyze works the first time, with no settings edited, and writes only under the opened folder', async () => {
    await wb.openFile('gla.yaml');
    await wb.runCommand('GLA: Analyze Dataset…');
    await wb.waitForNotification(/Analyzed \d+ images in 8 classes/, 120_000);
    const runs = join(folder, '.gla', 'runs');
    const [run] = readdirSync(runs).filter((n) => !n.startsWith('.'));
    assert.ok(run, 'a run under the opened folder');
    report = JSON.parse(readFileSync(join(runs, run, 'report.json'), 'utf8')) as Report;
    assert.equal(report.classes.length, 8);
    assert.equal(treeDigest(parent, ['my shapes']), parentBefore, 'nothing was written beside the opened folder');
    assert.equal(existsSync(join(folder, '.vscode')), false, 'no settings were written into the dataset');
    assert.equal(existsSync(join(sandbox.userDataDir, 'User', 'settings.json')) && /"gla\./.test(readFileSync(join(sandbox.userDataDir, 'User', 'settings.json'), 'utf8')), false, 'no gla setting was needed');
  });

  test('Problems say "biased against" only for classes whose q is below uniform', async () => {
    const C = report.classes.length;
    const problems = await wb.waitForProblems((ps) => ps.filter((p) => p.file === 'gla.yaml' && /^(CLIP|')/.test(p.message)).length >= C, 30_000);
    const findings = problems.filter((p) => p.file === 'gla.yaml' && /^(CLIP|')/.test(p.message));
    let against = 0;
    for (const c of report.classes) {
      const row = findings.find((p) => p.message.includes(`'${c.name}'`));
      assert.ok(row, `a finding for ${c.name}`);
      if (/biased against/.test(row.message)) {
        against++;
        assert.ok(c.prior < 1 / C, `${c.name}: q ${c.prior} ≥ 1/C = ${1 / C}, yet "${row.message}"`);
      }
    }
    assert.ok(against > 0, 'the sample has classes CLIP is biased against (its design)');
    await wb.screenshot('first-run-problems-light');
  });

  test('Select Model, with gla.yaml naming a model, offers to edit that line, and does', async () => {
    await wb.openFile('gla.yaml');
    await wb.runCommand('GLA: Select Model…');
    const rows = wb.page.locator('.quick-input-list .monaco-list-row');
    await rows.first().waitFor({ state: 'visible' });
    await rows.filter({ hasText: 'clip-vit-base-patch16' }).first().click();
    await wb.waitForNotification(/names the model models\/tiny-clip, which wins over the gla\.model setting/);
    await wb.screenshot('select-model-edits-gla-yaml-light');
    const toast = wb.page.locator('.notifications-toasts .notification-toast', { hasText: 'names the model' });
    await toast.locator('.monaco-button', { hasText: 'Edit gla.yaml' }).click();
    await waitFor('gla.yaml saved with the new model', async () => (/^model: clip-vit-base-patch16$/m.test(readFileSync(join(folder, 'gla.yaml'), 'utf8')) ? true : undefined));
    assert.equal(existsSync(join(folder, '.vscode')), false, 'the dataset got no .vscode folder');
    await waitFor('the status bar names the model that will run', async () => ((await wb.statusText()).includes('clip-vit-base-patch16') ? true : undefined));
  });
});
