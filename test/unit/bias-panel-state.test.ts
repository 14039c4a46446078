// The bias panel's pure bookkeeping: its tab title, which suspected label errors sit in their suggested folder
// (read from a disk the test controls), report.json's unreadable files, and the two comlink conversations that
// share one webview channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { failedFiles } from '../../client/src/bias-panel-data';
import { MovedImages, movableImages } from '../../client/src/moved-images';
import { profilePanelTitle, runPanelTitle, shortDateTime } from '../../client/src/panel-title';
import { pageEndpoint, webviewEndpoint } from '../../client/src/webview-endpoint';

test("a run's tab names its dataset folder and its local date and time, never the run id", () => {
  const at = '2024-06-07T12:00:00.000Z';
  const title = runPanelTitle('/data/pets/', '/w/.gla/runs/20240607-120000-ab12', at, 0, 'en-US');
  assert.equal(title, `GLA Bias · pets · ${shortDateTime(Date.parse(at), 'en-US')}`);
  assert.match(title, /^GLA Bias · pets · Jun 7, 2024, \d{1,2}:\d{2}\s?[AP]M$/);
  assert.ok(!title.includes('ab12'));
  // No createdAt (an old report): the time it was found; no dataset root: the run folder's name.
  assert.equal(runPanelTitle(undefined, '/w/.gla/runs/r1', undefined, Date.parse(at), 'en-US'), `GLA Bias · r1 · ${shortDateTime(Date.parse(at), 'en-US')}`);
  assert.equal(runPanelTitle('/d/shapes', '/r', 'not a date', Number.NaN), 'GLA Bias · shapes');
  assert.equal(profilePanelTitle('imagenet-prior.json'), 'GLA Bias · imagenet-prior.json');
});

test('an image is "moved" exactly while it sits in the suggested folder and no longer where the report saw it', () => {
  const root = '/data/shapes';
  const images = movableImages(root, [
    { path: 'train/red_circle/a.png', given: 'red_circle', other: 'blue_square' },
    { path: 'train/red_circle/b.png', given: 'red_circle', other: 'green_triangle' },
    // Not in a folder named after its class, or outside the dataset: "Move there" cannot move these.
    { path: 'loose.png', given: 'red_circle', other: 'blue_square' },
    { path: '../outside/red_circle/c.png', given: 'red_circle', other: 'blue_square' },
  ]);
  assert.deepEqual(images.map((i) => i.path), ['train/red_circle/a.png', 'train/red_circle/b.png']);
  assert.equal(images[0].to, join(root, 'train/blue_square/a.png'));
  const disk = new Set(images.map((i) => i.from));
  const moved = new MovedImages(images);
  assert.deepEqual(moved.folders.sort(), [join(root, 'train/blue_square'), join(root, 'train/green_triangle'), join(root, 'train/red_circle')]);
  assert.equal(moved.refresh((f) => disk.has(f)), false, 'nothing moved yet');
  assert.deepEqual(moved.moved, []);
  // "Move there": a rename.
  disk.delete(images[0].from);
  disk.add(images[0].to);
  assert.ok(moved.concerns(images[0].to) && moved.concerns(images[0].from) && !moved.concerns(join(root, 'train/red_circle/other.png')));
  assert.equal(moved.refresh((f) => disk.has(f)), true);
  assert.deepEqual(moved.moved, ['train/red_circle/a.png']);
  assert.equal(moved.refresh((f) => disk.has(f)), false, 'no change, no news');
  // Undo: back where it was.
  disk.delete(images[0].to);
  disk.add(images[0].from);
  assert.equal(moved.refresh((f) => disk.has(f)), true);
  assert.deepEqual(moved.moved, []);
  // A copy in the suggested folder with the original still in place is not a move.
  disk.add(images[1].to);
  moved.refresh((f) => disk.has(f));
  assert.deepEqual(moved.moved, []);
});

test("report.json's failed files keep path and reason; only paths inside the dataset can be opened", () => {
  const inDataset = (p: string) => (p.startsWith('/') || p.startsWith('..') ? undefined : `webview:${p}`);
  assert.deepEqual(
    failedFiles(
      [
        { path: 'train/cat/cut.jpg', error: 'VipsJpeg: premature end of JPEG file' },
        { path: '/elsewhere/x.png' },
        { error: 'no path' },
        'junk',
      ],
      inDataset,
    ),
    [
      { path: 'train/cat/cut.jpg', error: 'VipsJpeg: premature end of JPEG file', openable: true },
      { path: '/elsewhere/x.png', error: 'no reason given', openable: false },
    ],
  );
  assert.deepEqual(failedFiles(undefined, inDataset), []);
});

/** A stand-in for the two ends of vscode.Webview's message channel: what the page posts reaches the listeners. */
function fakeWebview() {
  const listeners = new Set<(m: unknown) => void>();
  const posted: unknown[] = [];
  return {
    posted,
    fromPage: (m: unknown) => listeners.forEach((l) => l(m)),
    webview: {
      postMessage: async (m: unknown) => (posted.push(m), true),
      onDidReceiveMessage: (l: (m: unknown) => void) => (listeners.add(l), { dispose: () => listeners.delete(l) }),
    } as never,
  };
}

test("the page's calls and the extension's calls share the channel, and each endpoint hears only its own", () => {
  const w = fakeWebview();
  const host = webviewEndpoint(w.webview, ['load']);
  const page = pageEndpoint(w.webview);
  const heard: { host: unknown[]; page: unknown[] } = { host: [], page: [] };
  host.addEventListener('message', ((e: { data: unknown }) => heard.host.push(e.data)) as never);
  page.addEventListener('message', ((e: { data: unknown }) => heard.page.push(e.data)) as never);
  const call = { id: 'a', type: 'APPLY', path: ['load'], argumentList: [] };
  w.fromPage({ channel: 'host', message: call });
  w.fromPage({ channel: 'host', message: { id: 'b', type: 'GET', path: ['__proto__'] } });
  w.fromPage({ channel: 'host', message: { id: 'c', type: 'APPLY', path: ['dispose'] } });
  w.fromPage({ channel: 'page', message: { id: 'd', type: 'RAW', value: true } });
  w.fromPage({ channel: 'page', message: { id: 'e', type: 'APPLY', path: ['load'] } });
  w.fromPage(call);
  assert.deepEqual(heard.host, [call], 'only allowed calls on the host channel');
  assert.deepEqual(heard.page, [{ id: 'd', type: 'RAW', value: true }], 'only answers on the page channel');
  page.postMessage({ id: 'f', type: 'APPLY', path: ['selectClass'] });
  host.postMessage({ id: 'a', type: 'RAW', value: 1 });
  assert.deepEqual(w.posted, [
    { channel: 'page', message: { id: 'f', type: 'APPLY', path: ['selectClass'] } },
    { channel: 'host', message: { id: 'a', type: 'RAW', value: 1 } },
  ]);
  host.dispose();
  page.dispose();
  w.fromPage({ channel: 'host', message: call });
  assert.equal(heard.host.length, 1, 'disposed endpoints hear nothing');
});
