// The prompt lab over a real LSP connection: a prompt typed into gla.yaml gets that class's zero-shot and debiased
// recall as a CodeLens, equal to what `gla analyze` reports with that prompt written into gla.yaml.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeLens } from 'vscode-languageserver-protocol';
import { LspTestClient, uriOf } from '../helpers/lsp-client';
import { modelFixture } from '../helpers/model-fixtures';
import { cliPath, repoRoot } from '../helpers/paths';
import type { Report } from '../../server/src/engine/report';
import type { PromptLabLensData } from '../../server/src/lsp/manifest/prompt-lab-lens';

const SAMPLE = join(repoRoot, 'samples', 'shapes');
// The sample's prompts miss orange_square (zero-shot recall 0 on test); this prompt finds it.
const NEGLECTED = 'orange_square';
const FOUND = 'orange orange square';
const OTHER = 'orange';

function withPrompt(text: string, folder: string, prompt: string): string {
  const out = text.replace(new RegExp(`(- folder: ${folder}\\n\\s+prompt: ).*`), `$1${prompt}`);
  assert.notEqual(out, text, `${folder}'s prompt was replaced`);
  return out;
}

const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle));
const dataOf = (l: CodeLens) => l.data as PromptLabLensData;

/** The independent figure: the bundled CLI on a fresh copy of the sample with the prompt written in, on a fresh cache. */
function cliReport(root: string, manifest: string): Report {
  const dataset = join(root, 'cli-shapes');
  cpSync(SAMPLE, dataset, { recursive: true, dereference: true });
  writeFileSync(join(dataset, 'gla.yaml'), manifest);
  execFileSync(process.execPath, [cliPath, 'analyze', dataset, '--out', join(root, 'cli-run'), '--json'], { env: { ...process.env, GLA_CACHE_DIR: join(root, 'cli-cache') }, stdio: 'pipe' });
  return JSON.parse(readFileSync(join(root, 'cli-run', 'report.json'), 'utf8')) as Report;
}

test('prompt lab: a typed prompt shows its class\'s recall within a second, equal to gla analyze with that prompt', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gla-lab-'));
  const shapes = join(root, 'shapes');
  cpSync(SAMPLE, shapes, { recursive: true, dereference: true });
  const client = await LspTestClient.start({ workspace: root, initializationOptions: { cacheDir: join(root, '.cache'), trusted: true } });
  t.after(async () => {
    await client.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const uri = uriOf(join(shapes, 'gla.yaml'));
  const original = readFileSync(join(shapes, 'gla.yaml'), 'utf8');
  const classLine = lineOf(original, `folder: ${NEGLECTED}`);
  await client.open(uri, original);

  /** Types `text` and waits for the lenses computed for it (after the refresh the server sends). */
  const edit = async (text: string): Promise<{ lenses: CodeLens[]; ms: number }> => {
    const refreshes = client.codeLensRefreshes;
    const started = performance.now();
    await client.change(uri, text);
    await client.waitFor('a codeLens refresh', () => (client.codeLensRefreshes > refreshes ? true : undefined));
    const lenses = await client.codeLens(uri);
    return { lenses, ms: performance.now() - started };
  };
  const settle = () => new Promise((r) => setTimeout(r, 1500));

  // No run yet: no lens.
  await client.change(uri, withPrompt(original, NEGLECTED, FOUND));
  await settle();
  assert.deepEqual(await client.codeLens(uri), [], 'no lens before the dataset has a run');
  await client.change(uri, original);

  await client.executeCommand('gla.analyze', [{ dataset: uri }]);
  const run = JSON.parse(readFileSync(join(root, '.gla', 'runs', (await import('node:fs')).readdirSync(join(root, '.gla', 'runs')).find((n) => !n.startsWith('.'))!, 'report.json'), 'utf8')) as Report;
  const before = run.classes.find((c) => c.name === NEGLECTED)!.recall;
  assert.equal(before.zeroShot, 0, 'the sample\'s prompt misses the class (the premise of this test)');

  // Warm-up: the lab's thread loads the embeddings and opens the text tower.
  const warm = await edit(withPrompt(original, NEGLECTED, OTHER));
  assert.equal(warm.lenses.length, 1, 'one lens, on the edited class');
  // Measured: a second edit costs its prompts and one fit of q and T.
  const typed = withPrompt(original, NEGLECTED, FOUND);
  const { lenses, ms } = await edit(typed);
  console.log(`prompt lab: edit → lens in ${ms.toFixed(0)} ms after warm-up (warm-up ${warm.ms.toFixed(0)} ms; lab ${dataOf(lenses[0]).milliseconds} ms)`);
  assert.ok(ms < 3000, `the lens arrived ${ms.toFixed(0)} ms after the edit (about 1 s expected; 3 s allowed on a loaded box)`);
  assert.equal(lenses.length, 1);
  const [lens] = lenses;
  assert.equal(lens.range.start.line, classLine, 'on the class line');
  const data = dataOf(lens);
  assert.equal(data.class, NEGLECTED);
  assert.equal(data.encodedPrompts, 3, 'only the changed prompt × 3 templates went to the text tower');
  assert.deepEqual(data.before, { zeroShot: before.zeroShot, debiased: before.debiased }, 'the change is from the last run');

  // Independent: gla analyze with the prompt written into gla.yaml, from scratch (its own cache).
  const cli = cliReport(root, typed).classes.find((c) => c.name === NEGLECTED)!.recall;
  // The same images, split, fit set and rule for T: zero-shot recall is the run's exactly, and so is debiased
  // recall (q and T are refitted by the same code on the same rows; a tolerance of 0 holds here).
  assert.equal(data.zeroShot, cli.zeroShot, 'zero-shot recall equals gla analyze\'s');
  assert.equal(data.debiased, cli.debiased, 'debiased recall equals gla analyze\'s');
  assert.ok(data.zeroShot! > before.zeroShot!, 'the new prompt finds the class');
  const fmt = (v: number) => v.toFixed(2);
  assert.equal(lens.command?.title, `lab: zero-shot ${fmt(before.zeroShot!)}→${fmt(cli.zeroShot!)} (+${fmt(cli.zeroShot! - before.zeroShot!)}) · debiased ${fmt(before.debiased!)}→${fmt(cli.debiased!)}${Math.abs(cli.debiased! - before.debiased!) < 0.005 ? ' (no change)' : ` (${cli.debiased! > before.debiased! ? '+' : '−'}${fmt(Math.abs(cli.debiased! - before.debiased!))})`}`);
  assert.match(lens.command?.tooltip ?? '', /on test, .* Not yet run/);

  // Two quick edits: only the last one's figures are shown, and one refresh announces them.
  const first = withPrompt(original, NEGLECTED, 'orange shape');
  const refreshes = client.codeLensRefreshes;
  await client.change(uri, first);
  await new Promise((r) => setTimeout(r, 100)); // typing on: the first edit is dropped (the lab's own test cancels one in flight)
  const last = await edit(typed);
  await settle();
  assert.equal(client.codeLensRefreshes, refreshes + 1, 'the dropped edit never announced lenses');
  assert.deepEqual(last.lenses.map((l) => [dataOf(l).zeroShot, dataOf(l).debiased]), [[cli.zeroShot, cli.debiased]], 'the last edit\'s figures');

  // A templates edit: every class line, and the mean on the templates line.
  const templated = original.replace('templates: ["a photo of a {}.", "a drawing of a {}.", "a {} shape."]', 'templates: ["a photo of a {}."]');
  const all = await edit(templated);
  assert.equal(all.lenses.length, run.classes.length + 1, 'a lens per class and one on the templates line');
  assert.ok(all.lenses.some((l) => l.range.start.line === lineOf(templated, 'templates:') && /^lab: mean zero-shot /.test(l.command!.title)));

  // Invalid YAML: diagnostics, and no lens until it parses again.
  const broken = typed.replace(`prompt: ${FOUND}`, `prompt: [${FOUND}`);
  await client.change(uri, broken);
  await client.waitForDiagnostics(uri, (d) => d.some((x) => x.code === 'yaml-syntax'), 'a YAML syntax error');
  await settle();
  assert.deepEqual(await client.codeLens(uri), [], 'no lens while gla.yaml does not parse');
  assert.equal((await edit(typed)).lenses.length, 1, 'the lens is back once it parses');

  // Another model than the run's: said so, with no figures.
  const otherModel = typed.replace('model: models/tiny-clip', `model: ${JSON.stringify(modelFixture('tiny-clip-no-mask'))}`);
  const notice = await edit(otherModel);
  assert.equal(notice.lenses.length, 1);
  assert.match(notice.lenses[0].command!.title, /^prompt lab: the last run used model .*; gla\.yaml names .* now: analyze to see recall with it/);
  assert.equal(dataOf(notice.lenses[0]).zeroShot, undefined, 'no figures for another model');
});
