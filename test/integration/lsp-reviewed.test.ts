// .gla/reviewed.json through the real bundled server over stdio, on a copy of samples/shapes: gla.markNotLabelError
// records an image as "not an error" and drops its warning, later runs leave it out while its content is unchanged,
// and a malformed or foreign file is ignored with one notice and never overwritten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspTestClient, uriOf } from '../helpers/lsp-client';
import { repoRoot } from '../helpers/paths';
import type { Report } from '../../server/src/engine/report';
import type { AnalyzeResult } from '../../server/src/protocol';

const SAMPLE = join(repoRoot, 'samples', 'shapes');
/** samples/shapes/PLANTED_LABEL_ERRORS.txt's first line: a purple circle filed as a red circle. */
const PLANTED = { path: 'train/red_circle/red_circle_003.png', given: 'red_circle', suggested: 'purple_circle' };
/** The sample's other planted error, which nobody marks here. */
const OTHER = 'train/green_triangle/green_triangle_002.png';
/** An image of the sample that the run does not suspect. */
const CLEAN = 'train/red_circle/red_circle_000.png';
const WARNING = 2;
const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;

interface Ws {
  root: string;
  shapes: string;
  client: LspTestClient;
  /** window/showMessageRequest params the server sent, in order. */
  messageRequests: { type: number; message: string }[];
  /** <root>/.gla/reviewed.json */
  reviewed: string;
  imageUri(path: string): string;
  analyze(): Promise<Report>;
  mark(paths: string[]): Promise<unknown>;
}

async function start(t: { after(fn: () => Promise<void>): void }): Promise<Ws> {
  const root = mkdtempSync(join(tmpdir(), 'gla-reviewed-'));
  const shapes = join(root, 'shapes');
  cpSync(SAMPLE, shapes, { recursive: true, dereference: true });
  const client = await LspTestClient.start({ workspace: root, initializationOptions: { cacheDir: join(root, '.cache'), trusted: true } });
  // connection.window.showWarningMessage is a request: answered as an editor would when the user closes the toast.
  const messageRequests: { type: number; message: string }[] = [];
  client.connection.onRequest('window/showMessageRequest', (p: { type: number; message: string }) => {
    messageRequests.push(p);
    return null;
  });
  t.after(async () => {
    await client.stop();
    rmSync(root, { recursive: true, force: true });
  });
  return {
    root,
    shapes,
    client,
    messageRequests,
    reviewed: join(root, '.gla', 'reviewed.json'),
    imageUri: (path) => uriOf(join(shapes, ...path.split('/'))),
    async analyze() {
      const result = (await client.executeCommand('gla.analyze', [{ dataset: uriOf(shapes) }])) as AnalyzeResult;
      return JSON.parse(readFileSync(result.summary.reportPath, 'utf8')) as Report;
    },
    mark: (paths) => client.executeCommand('gla.markNotLabelError', [{ dataset: uriOf(shapes), paths }]),
  };
}

const labelIssues = (d: Diagnostic[]): Diagnostic[] => d.filter((x) => x.code === 'label-issue');
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The planted image's warning as a run publishes it. */
async function plantedWarning(ws: Ws): Promise<Diagnostic> {
  const [d] = await ws.client.waitForDiagnostics(ws.imageUri(PLANTED.path), (x) => labelIssues(x).length === 1, 'the planted image\'s label-issue warning');
  assert.equal(d.severity, WARNING);
  assert.match(d.message as string, /^Suspected label error: labelled 'red_circle', looks like 'purple_circle' \(GLA confidence \d\.\d\d\)$/);
  return d;
}

test('marked "not an error": reviewed.json, the warning gone at once, left out of re-runs until the image changes', async (t) => {
  const ws = await start(t);

  await t.test('a: the mark writes reviewed.json and drops the warning at once', async () => {
    const report = await ws.analyze();
    const issue = report.labelIssues.find((i) => i.path === PLANTED.path);
    assert.deepEqual(issue && { path: issue.path, given: issue.given, suggested: issue.suggested }, PLANTED, 'the planted error is flagged');
    assert.equal(report.labelIssuesReviewed, 0);
    await plantedWarning(ws);
    await ws.client.waitForDiagnostics(ws.imageUri(OTHER), (x) => labelIssues(x).length === 1, 'the other planted image\'s warning');
    assert.equal(existsSync(ws.reviewed), false, 'no reviewed.json before the first mark');

    const result = await ws.mark([PLANTED.path]);
    assert.deepEqual(result, { marked: 1, file: ws.reviewed });
    // Published before the answer, so it has arrived by now: no waiting.
    assert.deepEqual(ws.client.diagnostics.get(fileOf(ws, PLANTED.path))?.diagnostics, [], 'the warning went with the answer');
    assert.equal(labelIssues(ws.client.diagnostics.get(fileOf(ws, OTHER))?.diagnostics ?? []).length, 1, 'the unmarked image keeps its warning');

    const file = JSON.parse(readFileSync(ws.reviewed, 'utf8'));
    assert.equal(file.version, 1);
    assert.equal(file.datasetRoot, 'shapes');
    assert.equal(file.entries.length, 1);
    const [entry] = file.entries;
    assert.deepEqual(Object.keys(entry).sort(), ['contentHash', 'given', 'path', 'reviewedAt', 'suggested']);
    assert.equal(entry.path, PLANTED.path);
    assert.equal(entry.given, PLANTED.given);
    assert.equal(entry.suggested, PLANTED.suggested);
    assert.equal(entry.contentHash, sha256(join(ws.shapes, ...PLANTED.path.split('/'))), 'the sha256 of the image\'s bytes');
    assert.ok(Math.abs(Date.parse(entry.reviewedAt) - Date.now()) < 60_000, `reviewedAt ${entry.reviewedAt} is now`);
  });

  await t.test('b: a re-run leaves the unchanged image out and counts it', async () => {
    ws.client.diagnostics.delete(fileOf(ws, PLANTED.path));
    const report = await ws.analyze();
    assert.deepEqual(report.labelIssues.map((i) => i.path).filter((p) => p === PLANTED.path), [], 'not in report.json labelIssues');
    assert.ok(report.labelIssues.some((i) => i.path === OTHER), 'the unmarked planted error is still flagged');
    assert.equal(report.labelIssuesReviewed, 1);
    await ws.client.waitForDiagnostics(ws.imageUri(OTHER), (x) => labelIssues(x).length === 1);
    await settle();
    assert.deepEqual(labelIssues(ws.client.diagnostics.get(fileOf(ws, PLANTED.path))?.diagnostics ?? []), [], 'no warning on the reviewed image');
  });

  await t.test('c: once the image changes, it is flagged again', async () => {
    const image = join(ws.shapes, ...PLANTED.path.split('/'));
    const before = readFileSync(image);
    // One channel of one pixel one step brighter: a different file that still decodes to (nearly) the same picture.
    const { data, info } = await sharp(before).raw().toBuffer({ resolveWithObject: true });
    data[0] = data[0] === 255 ? 254 : data[0] + 1;
    writeFileSync(image, await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toBuffer());
    assert.notEqual(sha256(image), JSON.parse(readFileSync(ws.reviewed, 'utf8')).entries[0].contentHash, 'the content hash changed');

    const report = await ws.analyze();
    assert.equal(report.failed.some((f) => f.path === PLANTED.path), false, 'the run still reads the rewritten image');
    const issue = report.labelIssues.find((i) => i.path === PLANTED.path);
    assert.deepEqual(issue && { path: issue.path, given: issue.given, suggested: issue.suggested }, PLANTED, 'in report.json labelIssues again');
    assert.equal(report.labelIssuesReviewed, 0);
    const d = await plantedWarning(ws);
    assert.equal(d.range.start.line, 0);
  });
});

function fileOf(ws: Ws, path: string): string {
  return join(ws.shapes, ...path.split('/'));
}

/** Lets the publisher's reviewed.json look-up (after each run) and its notice arrive. */
const settle = () => new Promise((r) => setTimeout(r, 1000));

/** Where each of the client's message lists stands now, for reviewedNotices(ws, since). */
type Mark = [number, number, number];
const markOf = (ws: Ws): Mark => [ws.messageRequests.length, ws.client.notifications.length, ws.client.log.length];

/**
 * The messages since `since` that tell the user about reviewed.json: window/showMessageRequest, window/showMessage,
 * gla/status's notice (which our extension shows as a warning toast) or window/logMessage.
 */
function reviewedNotices(ws: Ws, since: Mark = [0, 0, 0]): string[] {
  const out: string[] = [];
  for (const r of ws.messageRequests.slice(since[0])) if (r.message.includes('reviewed.json')) out.push(`window/showMessageRequest: ${r.message}`);
  for (const n of ws.client.notifications.slice(since[1])) {
    const p = n.params as { message?: string; notice?: string } | undefined;
    const text = n.method === 'gla/status' ? p?.notice : n.method === 'window/showMessage' ? p?.message : undefined;
    if (text && text.includes('reviewed.json')) out.push(`${n.method}: ${text}`);
  }
  for (const line of ws.client.log.slice(since[2])) if (line.includes('reviewed.json')) out.push(`log: ${line}`);
  return out;
}

test('a malformed or another dataset\'s reviewed.json: the same flags as without it, one notice a run, a mark refused and the file kept', async (t) => {
  const ws = await start(t);
  const baseline = await ws.analyze();
  const flagged = baseline.labelIssues.map((i) => i.path);
  assert.ok(flagged.includes(PLANTED.path), `the planted error is flagged: ${JSON.stringify(flagged)}`);
  await settle();
  assert.deepEqual(reviewedNotices(ws), [], 'no file, no notice');

  const foreignText = JSON.stringify({
    version: 1,
    datasetRoot: 'elsewhere',
    // An entry that would match the image if the file were this dataset's.
    entries: [{ path: PLANTED.path, contentHash: sha256(fileOf(ws, PLANTED.path)), given: PLANTED.given, suggested: PLANTED.suggested, reviewedAt: '2026-01-01T00:00:00.000Z' }],
  }, null, 2);
  const cases = [
    { name: 'not JSON', text: '{ "version": 1, "datasetRoot": "shapes", ', notice: /reviewed\.json is not valid JSON; it was ignored/, refusal: /reviewed\.json is not valid JSON: fix or remove it to record reviews \(nothing was written\)/ },
    { name: 'another dataset\'s', text: foreignText, notice: /reviewed\.json is for the dataset 'elsewhere', not 'shapes'; it was ignored/, refusal: /reviewed\.json is for the dataset 'elsewhere', not 'shapes': fix or remove it to record reviews \(nothing was written\)/ },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      mkdirSync(join(ws.root, '.gla'), { recursive: true });
      writeFileSync(ws.reviewed, c.text);
      const bytes = readFileSync(ws.reviewed);
      // Twice: the notice comes once with each run, not once per image and not twice.
      for (const round of [1, 2]) {
        const seen = markOf(ws);
        const report = await ws.analyze();
        assert.deepEqual(report.labelIssues.map((i) => i.path), flagged, `run ${round}: the flags are as without the file`);
        assert.equal(report.labelIssuesReviewed, 0);
        await plantedWarning(ws);
        await settle();
        const notices = reviewedNotices(ws, seen);
        assert.equal(notices.length, 1, `run ${round}: exactly one notice about reviewed.json: ${JSON.stringify(notices)}`);
        assert.match(notices[0], c.notice);
        assert.ok(notices[0].includes(ws.reviewed), `the notice names the file: ${notices[0]}`);
      }

      await assert.rejects(ws.mark([PLANTED.path]), (err: { code?: number; message?: string }) => {
        assert.equal(err.code, INVALID_REQUEST);
        assert.match(err.message ?? '', c.refusal);
        return true;
      });
      assert.deepEqual(readFileSync(ws.reviewed), bytes, 'the file is not overwritten');
      assert.equal(labelIssues(ws.client.diagnostics.get(fileOf(ws, PLANTED.path))?.diagnostics ?? []).length, 1, 'a refused mark keeps the warning');
    });
  }

  await t.test('a server started later shows the run on disk with the same flags and one notice', async () => {
    const later = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: join(ws.root, '.cache'), trusted: true } });
    const requests: { message: string }[] = [];
    later.connection.onRequest('window/showMessageRequest', (p: { message: string }) => {
      requests.push(p);
      return null;
    });
    try {
      const manifest = join(ws.shapes, 'gla.yaml');
      await later.open(uriOf(manifest), readFileSync(manifest, 'utf8'));
      await later.waitForDiagnostics(ws.imageUri(PLANTED.path), (x) => labelIssues(x).length === 1, 'the on-disk run\'s warning');
      await settle();
      const notices = reviewedNotices({ ...ws, client: later, messageRequests: requests as Ws['messageRequests'] });
      assert.equal(notices.length, 1, JSON.stringify(notices));
      assert.match(notices[0], /^window\/showMessageRequest: GLA: .*reviewed\.json is for the dataset 'elsewhere', not 'shapes'; it was ignored$/);
    } finally {
      await later.stop();
    }
  });
});

test('gla.markNotLabelError with an image the run does not suspect: InvalidParams naming it, nothing written', async (t) => {
  const ws = await start(t);
  const report = await ws.analyze();
  assert.equal(report.labelIssues.some((i) => i.path === CLEAN), false, `${CLEAN} is not suspected (the premise)`);
  assert.ok(existsSync(fileOf(ws, CLEAN)), `${CLEAN} exists`);
  for (const paths of [[CLEAN], [PLANTED.path, CLEAN]]) {
    await assert.rejects(ws.mark(paths), (err: { code?: number; message?: string }) => {
      assert.equal(err.code, INVALID_PARAMS);
      assert.equal(err.message, `GLA: ${CLEAN} is not a suspected label error of the latest run of ${ws.shapes}`);
      return true;
    });
  }
  assert.equal(existsSync(ws.reviewed), false, 'nothing was written, not even the suspected image of the pair');
  await plantedWarning(ws);
});
