// gla.analyze and gla.classify through the real bundled server over stdio, with the real engine on the fixture
// tiny CLIP: progress, bias findings on the class lines, label errors on images, re-runs, cancel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { CancellationTokenSource, LspTestClient, type ProgressValue, uriOf } from '../helpers/lsp-client';
import { makeWorkspace, type TestWorkspace } from '../helpers/lsp-workspace';
import { modelFixture } from '../helpers/model-fixtures';
import { treeDigest } from '../helpers/tree-digest';
import type { Report } from '../../server/src/engine/report';
import type { AnalyzeResult, ClassifyResult, RunFinishedParams } from '../../server/src/protocol';
import { serializeNpy } from '../../server/src/store/npy';

const WARNING = 2;
const INFORMATION = 3;
const REQUEST_CANCELLED = -32800;

function manifestText(): string {
  return [
    `model: ${JSON.stringify(modelFixture('tiny-clip'))}`,
    'classes:',
    '  - folder: red circle',
    '  - folder: blue_square',
    '    prompt: blue square',
    '  - folder: grüne Dreiecke',
    '    prompt: green triangle',
    '  - folder: n04254680',
    '    prompt: yellow circle',
    'templates: ["a photo of a {}."]',
    '',
  ].join('\n');
}

/** Class name → the 0-based line of its `folder:` in manifestText(). */
const CLASS_LINES: Record<string, number> = { 'red circle': 2, blue_square: 3, 'grüne Dreiecke': 5, n04254680: 7 };

async function start(t: { after(fn: () => Promise<void>): void }, settings?: Record<string, unknown>): Promise<{ ws: TestWorkspace; client: LspTestClient; uri: string }> {
  const ws = makeWorkspace();
  writeFileSync(join(ws.shapes, 'gla.yaml'), manifestText());
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: true }, ...(settings ? { settings } : {}) });
  t.after(async () => {
    await client.stop();
    ws.remove();
  });
  return { ws, client, uri: uriOf(join(ws.shapes, 'gla.yaml')) };
}

function runIdOf(d: Diagnostic): string | undefined {
  return (d.data as { runId?: string } | undefined)?.runId;
}

function runFolders(ws: TestWorkspace): string[] {
  const dir = join(ws.root, '.gla', 'runs');
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
}

test('gla.analyze: cancellable progress, a summary, bias findings on each class line, label errors on images', async (t) => {
  const { ws, client, uri } = await start(t);
  await client.open(uri, manifestText());
  assert.deepEqual(await client.waitForDiagnostics(uri, () => true), [], 'the manifest is clean before the run');

  const pending = client.executeCommand('gla.analyze', [{ dataset: uri }]) as Promise<AnalyzeResult>;
  // The editor stays responsive: a hover sent while the run computes is answered before the run ends.
  const token = await client.waitFor('a server-created progress', () => client.createdProgress[0]);
  await client.waitFor('progress begin', () => client.progress.get(token)?.length);
  let hoverAnsweredFirst: boolean | undefined;
  const hovered = client.hover(uri, { line: 3, character: 14 }).then(() => (hoverAnsweredFirst ??= true));
  const result = await pending;
  hoverAnsweredFirst ??= false;
  await hovered;
  assert.equal(hoverAnsweredFirst, true, 'hover answered while the analysis ran');

  const progress = client.progress.get(token)! as ProgressValue[];
  assert.equal(progress[0].kind, 'begin');
  assert.equal((progress[0] as { cancellable?: boolean }).cancellable, true);
  assert.match((progress[0] as { title: string }).title, /GLA: Analyzing shapes/);
  assert.ok(progress.some((p) => p.kind === 'report'), 'at least one report');
  assert.equal(progress.at(-1)!.kind, 'end');
  const percentages = progress.filter((p) => p.kind === 'report').map((p) => (p as { percentage?: number }).percentage ?? 0);
  assert.deepEqual(percentages, [...percentages].sort((a, b) => a - b), 'the bar never moves backwards');

  const report = JSON.parse(readFileSync(result.summary.reportPath, 'utf8')) as Report;
  assert.equal(result.runDir, join(ws.root, '.gla', 'runs', report.runId));
  assert.equal(result.summary.classes, 4);
  assert.equal(result.summary.images, 33);
  assert.equal(result.summary.labelIssues, report.labelIssues.length);
  assert.deepEqual(result.summary.top1.gla, report.metrics.gla?.top1 ?? null);

  const finished = await client.waitFor('gla/runFinished', () => client.notifications.find((n) => n.method === 'gla/runFinished')?.params as RunFinishedParams | undefined);
  assert.equal(finished.runDir, result.runDir);
  assert.deepEqual(finished.summary, result.summary);

  // One finding per class on its folder line, a Warning exactly where the documented thresholds say.
  const findings = await client.waitForDiagnostics(uri, (d) => d.length === 4);
  for (const c of report.classes) {
    const d = findings.find((x) => x.range.start.line === CLASS_LINES[c.name]);
    assert.ok(d, `a finding for ${c.name}`);
    const biased = c.bias <= -1 || (c.recall.zeroShot !== null && c.recall.gla !== null && c.recall.gla - c.recall.zeroShot >= 0.2 - 1e-9);
    assert.equal(d.severity, biased ? WARNING : INFORMATION, `${c.name}: ${d.message}`);
    assert.ok((d.message as string).includes(`q = ${c.prior.toPrecision(3)}`), d.message as string);
    assert.equal(runIdOf(d), report.runId);
  }

  // Each suspected label error is a Warning on its image, pointing at the suggested class's line.
  assert.ok(report.labelIssues.some((i) => i.path === 'train/red circle/mislabelled.png'), 'the engine finds the planted label error');
  for (const issue of report.labelIssues) {
    const image = uriOf(join(ws.shapes, ...issue.path.split('/')));
    const [d] = await client.waitForDiagnostics(image, (x) => x.length === 1);
    assert.equal(d.severity, WARNING);
    assert.equal(d.relatedInformation?.[0].location.uri, uri);
    assert.equal(d.relatedInformation?.[0].location.range.start.line, CLASS_LINES[issue.suggested]);
  }
});

test('a re-run replaces the findings: a fixed label error disappears, the class lines carry the new run', async (t) => {
  const { ws, client, uri } = await start(t);
  await client.open(uri, manifestText());
  const first = (await client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }])) as AnalyzeResult;
  const planted = uriOf(join(ws.shapes, 'train', 'red circle', 'mislabelled.png'));
  await client.waitForDiagnostics(planted, (d) => d.length === 1);
  // The user fixes the label by hand and analyses again.
  renameSync(join(ws.shapes, 'train', 'red circle', 'mislabelled.png'), join(ws.shapes, 'train', 'blue_square', 'relabelled.png'));
  const second = (await client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }])) as AnalyzeResult;
  assert.notEqual(second.summary.runId, first.summary.runId);
  assert.deepEqual(await client.waitForDiagnostics(planted, (d) => d.length === 0), []);
  const findings = await client.waitForDiagnostics(uri, (d) => d.length === 4 && d.every((x) => runIdOf(x) === second.summary.runId));
  assert.equal(findings.length, 4);
});

test('of two overlapping runs, the one started later is shown whatever order they finish in', async (t) => {
  const { ws, client, uri } = await start(t);
  await client.open(uri, manifestText());
  const earlier = client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }]) as Promise<AnalyzeResult>;
  await client.waitFor('the first run to start', () => client.createdProgress[0]);
  const later = client.executeCommand('gla.analyze', [{ dataset: uri }]) as Promise<AnalyzeResult>;
  const [a, b] = await Promise.all([earlier, later]);
  assert.notEqual(a.summary.runId, b.summary.runId);
  const findings = await client.waitForDiagnostics(uri, (d) => d.length === 4 && d.every((x) => runIdOf(x) === b.summary.runId));
  assert.equal(findings.length, 4);
  const finished = client.notifications.filter((n) => n.method === 'gla/runFinished').map((n) => (n.params as RunFinishedParams).summary.runId);
  assert.equal(finished.at(-1), b.summary.runId, 'the last run announced is the later one');
});

test('cancel from the progress UI or by cancelling the request stops the run and writes no run folder', async (t) => {
  const { ws, client } = await start(t);
  const viaProgress = client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }]);
  const token = await client.waitFor('progress', () => client.createdProgress[0]);
  await client.waitFor('progress begin', () => client.progress.get(token)?.length);
  await client.cancelProgress(token);
  await assert.rejects(viaProgress, (err: Error & { code?: number }) => {
    assert.equal(err.code, REQUEST_CANCELLED);
    assert.match(err.message, /GLA: analysis cancelled/);
    return true;
  });
  assert.equal(client.progress.get(token)!.at(-1)!.kind, 'end');

  const source = new CancellationTokenSource();
  const viaRequest = client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }], { cancel: source });
  const second = await client.waitFor('second progress', () => client.createdProgress[1]);
  await client.waitFor('progress begin', () => client.progress.get(second)?.length);
  source.cancel();
  await assert.rejects(viaRequest, (err: Error & { code?: number }) => err.code === REQUEST_CANCELLED);
  assert.deepEqual(runFolders(ws), [], 'no run folder from cancelled runs');
});

test('a client-provided workDoneToken carries the progress; bad arguments and datasets get one clear line', async (t) => {
  const { ws, client } = await start(t);
  const result = (await client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }], { workDoneToken: 'client-token' })) as AnalyzeResult;
  assert.equal(client.createdProgress.length, 0, 'no server-created progress when the client gave a token');
  const kinds = client.progress.get('client-token')!.map((p) => p.kind);
  assert.equal(kinds[0], 'begin');
  assert.equal(kinds.at(-1), 'end');
  assert.equal(result.summary.classes, 4);

  await assert.rejects(client.executeCommand('gla.analyze', [{}]), (err: Error & { code?: number }) => err.code === -32602 && /expects \[\{dataset/.test(err.message));
  await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uriOf(join(ws.root, 'nowhere')) }]), /dataset .*nowhere does not exist/);
  // A broken manifest: the engine's one-line reason reaches the client, no stack trace.
  writeFileSync(join(ws.flat, 'gla.yaml'), 'classes: [cat, dog, cow]\n');
  await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.flat) }]), (err: Error) => {
    assert.doesNotMatch(err.message, /\n|at .*\.js:\d+/);
    assert.match(err.message, /cow/);
    return true;
  });
});

test('gla.classify applies a finished run to a folder of new images', async (t) => {
  const { ws, client } = await start(t);
  const run = (await client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.shapes) }])) as AnalyzeResult;
  const incoming = join(ws.root, 'incoming');
  mkdirSync(incoming);
  renameSync(join(ws.shapes, 'test', 'blue_square'), join(incoming, 'blue'));
  const result = (await client.executeCommand('gla.classify', [{ folder: uriOf(incoming), run: uriOf(run.runDir) }])) as ClassifyResult;
  assert.equal(result.images, 2);
  assert.equal(result.failed, 0);
  assert.ok(result.predictionsPath.startsWith(run.runDir), result.predictionsPath);
  const rows = readFileSync(result.predictionsPath, 'utf8').trim().split('\n');
  assert.equal(rows.length, 3, 'a header and one row per image');
});

test('gla.analyze: classes that match no folder are an error, unless the client asks for a label-free run', async (t) => {
  const { ws, client } = await start(t);
  writeFileSync(join(ws.flat, 'gla.yaml'), `model: ${JSON.stringify(modelFixture('tiny-clip'))}\nclasses: [zebra, lion]\n`);
  await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.flat) }]), /none of the 2 class folders gla\.yaml lists exist.*run label-free/);
  await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.flat), labelFree: 'yes' }]), (err: Error & { code?: number }) => err.code === -32602);
  const result = (await client.executeCommand('gla.analyze', [{ dataset: uriOf(ws.flat), labelFree: true }])) as AnalyzeResult;
  assert.equal(result.summary.labelFree, true);
  assert.equal(result.summary.classes, 2);
  assert.ok(result.summary.images > 0);
});

/** Every image under a folder, recursively, as absolute paths. */
function imagesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? imagesUnder(join(dir, e.name)) : e.name.endsWith('.png') ? [join(dir, e.name)] : []));
}

/**
 * A user's fine-tuned logits for shapes/ as PREFIX.npy + PREFIX.json, outside the dataset: confident in each image's
 * folder class, with its columns in another order than the dataset's (matched by name).
 */
function writeShapesLogits(ws: TestWorkspace, prefix: string): void {
  const classes = ['n04254680', 'red circle', 'grüne Dreiecke', 'blue_square'];
  const paths = imagesUnder(ws.shapes);
  const data = new Float32Array(paths.length * classes.length);
  paths.forEach((p, r) => {
    const folder = relative(ws.shapes, p).split(/[\\/]/)[1];
    classes.forEach((c, j) => (data[r * classes.length + j] = (c === folder ? 3 : 0) + ((r * 7 + j * 3) % 5) / 10));
  });
  mkdirSync(join(prefix, '..'), { recursive: true });
  writeFileSync(`${prefix}.npy`, serializeNpy({ dtype: 'float32', shape: [paths.length, classes.length], data }));
  writeFileSync(`${prefix}.json`, JSON.stringify({ paths, classes }));
}

test("gla.analyze with gla.yaml's finetuned: the user's logits are the fine-tuned model, named in the summary and the findings", async (t) => {
  const { ws, client, uri } = await start(t);
  writeShapesLogits(ws, join(ws.root, 'logits', 'vit-shapes'));
  const text = manifestText().replace('classes:', 'finetuned: ../logits/vit-shapes\nclasses:');
  writeFileSync(join(ws.shapes, 'gla.yaml'), text);
  await client.open(uri, text);
  assert.deepEqual(await client.waitForDiagnostics(uri, () => true), [], 'the finetuned: path exists, so no warning');
  const result = (await client.executeCommand('gla.analyze', [{ dataset: uri }])) as AnalyzeResult;
  const report = JSON.parse(readFileSync(result.summary.reportPath, 'utf8')) as Report;
  assert.equal(report.finetuned?.source, 'logits');
  assert.equal(report.finetuned?.name, 'vit-shapes');
  assert.equal(result.summary.finetuned, 'fine-tuned (vit-shapes)');
  assert.equal(result.summary.top1.ensemble, report.metrics.ensemble?.top1 ?? null);
  const findings = await client.waitForDiagnostics(uri, (d) => d.length === 4 && d.every((x) => runIdOf(x) === report.runId));
  for (const d of findings) assert.match(d.message as string, /fine-tuned \(vit-shapes\) [\d.n/a]+, naive ensemble [\d.n/a]+, GLA/);
});

test("gla.analyze's finetuned: the command's wins over gla.yaml's, gla.yaml's over the gla.finetuned setting", async (t) => {
  const { ws, client, uri } = await start(t, { finetuned: 'settings/logits' });
  // The setting applies when neither the command nor gla.yaml names one (relative to the workspace folder).
  await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uri }]), (err: Error) => {
    assert.ok(err.message.includes(join(ws.root, 'settings', 'logits')), err.message);
    return true;
  });
  // gla.yaml's finetuned: beats the setting.
  writeFileSync(join(ws.shapes, 'gla.yaml'), manifestText().replace('classes:', 'finetuned: ../from-manifest\nclasses:'));
  await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uri }]), (err: Error) => {
    assert.ok(err.message.includes(join(ws.root, 'from-manifest')), err.message);
    return true;
  });
  // The command's beats both, as an absolute path or a file: URI.
  const mine = join(ws.root, 'from-command');
  for (const finetuned of [mine, uriOf(mine)]) {
    await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uri, finetuned }]), (err: Error) => {
      assert.ok(err.message.includes(mine) && !err.message.includes('from-manifest'), err.message);
      return true;
    });
  }
  for (const bad of [5, '', 'relative/logits', 'untitled:x']) {
    await assert.rejects(client.executeCommand('gla.analyze', [{ dataset: uri, finetuned: bad }]), (err: Error & { code?: number }) => err.code === -32602 && /finetuned/.test(err.message), JSON.stringify(bad));
  }
});

test('the dataset folder opened as the workspace: the run goes to its .gla/runs, nothing outside it is written, no image moves', async (t) => {
  const ws = makeWorkspace();
  writeFileSync(join(ws.shapes, 'gla.yaml'), manifestText());
  // The cache lives outside the workspace (the extension's global storage): keep it out of the parent's digest.
  const cacheDir = join(tmpdir(), `gla-cache-${process.pid}-${Date.now()}`);
  const parentBefore = treeDigest(ws.root, [relative(ws.root, ws.shapes)]);
  const imagesBefore = treeDigest(ws.shapes, ['.gla']);
  const client = await LspTestClient.start({ workspace: ws.shapes, initializationOptions: { cacheDir, trusted: true } });
  t.after(async () => {
    await client.stop();
    ws.remove();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  const result = (await client.executeCommand('gla.analyze', [{ dataset: uriOf(join(ws.shapes, 'gla.yaml')) }])) as AnalyzeResult;
  assert.equal(relative(ws.shapes, result.runDir).split(sep).slice(0, 2).join('/'), '.gla/runs', `the run is under the opened folder: ${result.runDir}`);
  assert.ok(existsSync(join(result.runDir, 'report.json')));
  assert.equal(treeDigest(ws.root, [relative(ws.root, ws.shapes)]), parentBefore, 'nothing was written beside the opened folder');
  assert.equal(treeDigest(ws.shapes, ['.gla']), imagesBefore, 'the images, class folders and gla.yaml are untouched');
});
