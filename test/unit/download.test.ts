// The downloader against real HTTP servers on 127.0.0.1: resume, faults, verification, cancellation, proxies, offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, UserError } from '../../server/src/errors';
import { downloadFile, partPathFor, type FileProgress } from '../../server/src/clip/models/download';
import { downloadModel, type ModelDownloadProgress } from '../../server/src/clip/models/model-download';
import { fileUrl, filesFor, findModel, type ModelEntry } from '../../server/src/clip/models/registry';
import { FakeHub, patternBytes, sha256 } from '../helpers/fake-hub';
import { CountingProxy } from '../helpers/counting-proxy';
import { generatedFixtures } from '../helpers/paths';
import { closedPort } from '../helpers/closed-port';

const REPO = 'Xenova/clip-vit-base-patch32';
const BIG = 300_000;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gla-download-'));
}

/** Fast retries so interrupted-transfer tests take milliseconds. */
const quick = { retryDelayMs: 5, stallTimeoutMs: 5000 };

async function withHub(fn: (hub: FakeHub, dir: string) => Promise<void>, tls?: { key: Buffer; cert: Buffer }): Promise<void> {
  const hub = await new FakeHub(tls).start();
  const dir = tempDir();
  try {
    await fn(hub, dir);
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function url(hub: FakeHub, path: string): string {
  return `${hub.url}/${REPO}/resolve/main/${path}`;
}

test('downloads an LFS file through the CDN redirect and verifies the sha256 the hub declares', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(BIG, 3);
    hub.addFile(REPO, 'onnx/vision_model.onnx', bytes, { lfs: true });
    const dest = join(dir, 'onnx', 'vision_model.onnx');
    const got = await downloadFile(url(hub, 'onnx/vision_model.onnx'), dest, { env: {}, ...quick });
    assert.deepEqual(readFileSync(dest), bytes);
    assert.equal(got.size, BIG);
    assert.equal(got.sha256, sha256(bytes));
    assert.equal(got.sha256Verified, true, 'X-Linked-Etag on the redirect is the sha256');
    assert.equal(got.sizeVerified, true);
    assert.equal(got.resumedFrom, 0);
    assert.deepEqual(readdirSync(join(dir, 'onnx')), ['vision_model.onnx'], 'no .part or .lock left');
    const gets = hub.gets();
    assert.deepEqual(gets.map((r) => r.server), ['hub', 'cdn'], 'one hop to the hub, then the CDN');
  });
});

test('a small file served directly is size-checked but a git sha1 ETag is not taken for a sha256', async () => {
  await withHub(async (hub, dir) => {
    const bytes = Buffer.from(JSON.stringify({ crop_size: 224 }));
    hub.addFile(REPO, 'preprocessor_config.json', bytes);
    const dest = join(dir, 'preprocessor_config.json');
    const got = await downloadFile(url(hub, 'preprocessor_config.json'), dest, { env: {}, ...quick });
    assert.deepEqual(readFileSync(dest), bytes);
    assert.equal(got.sha256Verified, false);
    assert.equal(got.sizeVerified, true);
  });
});

test('resumes with a Range request after the server cut the transfer off half-way', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(BIG, 5);
    hub.addFile(REPO, 'onnx/text_model.onnx', bytes, { lfs: true });
    hub.fault(REPO, 'onnx/text_model.onnx', { cutAfter: BIG / 2 });
    const dest = join(dir, 'text_model.onnx');
    await assert.rejects(
      downloadFile(url(hub, 'onnx/text_model.onnx'), dest, { env: {}, ...quick, retries: 0 }),
      (err: Error) => err instanceof UserError && /interrupted/.test(err.message) && err.message.includes(partPathFor(dest)),
    );
    assert.equal(existsSync(dest), false, 'nothing under the final name');
    assert.equal(readFileSync(partPathFor(dest)).length, BIG / 2, 'the half that arrived is kept');

    const progress: FileProgress[] = [];
    const got = await downloadFile(url(hub, 'onnx/text_model.onnx'), dest, { env: {}, ...quick, onProgress: (p) => progress.push(p) });
    assert.deepEqual(readFileSync(dest), bytes);
    assert.equal(got.resumedFrom, BIG / 2);
    assert.equal(got.sha256Verified, true);
    const last = hub.gets().at(-1)!;
    assert.equal(last.server, 'cdn');
    assert.equal(last.range, `bytes=${BIG / 2}-`);
    assert.equal(progress[0].done, BIG / 2, 'progress starts from what was on disk');
    assert.equal(progress.at(-1)!.done, BIG);
    assert.equal(existsSync(partPathFor(dest)), false);
  });
});

test('a cut-off transfer is resumed automatically within one call', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(BIG, 6);
    hub.addFile(REPO, 'onnx/text_model.onnx', bytes, { lfs: true });
    hub.fault(REPO, 'onnx/text_model.onnx', { cutAfter: 70_000, times: 2 });
    const dest = join(dir, 'text_model.onnx');
    const got = await downloadFile(url(hub, 'onnx/text_model.onnx'), dest, { env: {}, ...quick });
    assert.deepEqual(readFileSync(dest), bytes);
    const cdnGets = hub.gets().filter((r) => r.server === 'cdn');
    // Each resume asks from what reached the disk: at most what the cut let through (a chunk still in flight when
    // the socket died may be lost under load, and is simply asked for again).
    assert.equal(cdnGets.length, 3);
    assert.equal(cdnGets[0].range, undefined);
    const from = cdnGets.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r.range ?? '')?.[1]));
    assert.ok(from[0] > 0 && from[0] <= 70_000, `first resume from ${from[0]}`);
    assert.ok(from[1] > from[0] && from[1] <= from[0] + 70_000, `second resume from ${from[1]}`);
    assert.equal(got.sha256Verified, true);
  });
});

test('a server that ignores Range sends the whole file again and the .part restarts from zero', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(BIG, 7);
    hub.addFile(REPO, 'onnx/vision_model.onnx', bytes, { lfs: true });
    hub.fault(REPO, 'onnx/vision_model.onnx', { ignoreRange: true });
    const dest = join(dir, 'vision_model.onnx');
    // A stale .part whose bytes are wrong: appending to it would corrupt the file.
    writeFileSync(partPathFor(dest), Buffer.alloc(1000, 0xab));
    const got = await downloadFile(url(hub, 'onnx/vision_model.onnx'), dest, { env: {}, ...quick });
    assert.deepEqual(readFileSync(dest), bytes);
    assert.equal(got.sha256, sha256(bytes));
    assert.equal(hub.gets().at(-1)!.range, 'bytes=1000-', 'it did ask for a range');
  });
});

test('a .part that is already whole is finished from a 416 without a body', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(50_000, 8);
    hub.addFile(REPO, 'onnx/vision_model.onnx', bytes, { lfs: true });
    const dest = join(dir, 'vision_model.onnx');
    writeFileSync(partPathFor(dest), bytes);
    const got = await downloadFile(url(hub, 'onnx/vision_model.onnx'), dest, { env: {}, ...quick });
    assert.deepEqual(readFileSync(dest), bytes);
    assert.equal(got.sha256Verified, true);
    assert.equal(hub.gets().at(-1)!.range, 'bytes=50000-');
  });
});

test('a corrupted file fails the sha256 check clearly and leaves nothing behind', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(BIG, 9);
    hub.addFile(REPO, 'onnx/vision_model.onnx', bytes, { lfs: true });
    hub.fault(REPO, 'onnx/vision_model.onnx', { corrupt: true });
    const dest = join(dir, 'vision_model.onnx');
    await assert.rejects(
      downloadFile(url(hub, 'onnx/vision_model.onnx'), dest, { env: {}, ...quick }),
      (err: Error) =>
        err instanceof UserError &&
        err.message.includes('sha256 mismatch') &&
        err.message.includes(sha256(bytes)) &&
        err.message.includes('onnx/vision_model.onnx'),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(partPathFor(dest)), false, 'the bad .part is deleted so a retry starts clean');
  });
});

test('a caller-given sha256 (the registry) wins and a wrong one is caught', async () => {
  await withHub(async (hub, dir) => {
    const bytes = Buffer.from('merges\n');
    hub.addFile(REPO, 'merges.txt', bytes);
    const dest = join(dir, 'merges.txt');
    await assert.rejects(
      downloadFile(url(hub, 'merges.txt'), dest, { env: {}, ...quick, expectedSha256: '0'.repeat(64) }),
      /sha256 mismatch/,
    );
    assert.equal(existsSync(dest), false);
    const got = await downloadFile(url(hub, 'merges.txt'), dest, { env: {}, ...quick, expectedSha256: sha256(bytes) });
    assert.equal(got.sha256Verified, true);
  });
});

test('a size that disagrees with the expected size is an error before the body is written', async () => {
  await withHub(async (hub, dir) => {
    hub.addFile(REPO, 'vocab.json', Buffer.from('{"a": 1}'));
    const dest = join(dir, 'vocab.json');
    await assert.rejects(
      downloadFile(url(hub, 'vocab.json'), dest, { env: {}, ...quick, expectedSize: 999 }),
      (err: Error) => err instanceof UserError && /size mismatch/.test(err.message) && /999/.test(err.message),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(partPathFor(dest)), false);
  });
});

test('a 404 names the URL and creates nothing', async () => {
  await withHub(async (hub, dir) => {
    const dest = join(dir, 'onnx', 'nothing.onnx');
    await assert.rejects(
      downloadFile(url(hub, 'onnx/nothing.onnx'), dest, { env: {}, ...quick }),
      (err: Error) => err instanceof UserError && /404/.test(err.message) && err.message.includes(url(hub, 'onnx/nothing.onnx')),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(partPathFor(dest)), false);
  });
});

test('a 5xx is retried, then succeeds', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(10_000, 10);
    hub.addFile(REPO, 'tokenizer.json', bytes);
    hub.fault(REPO, 'tokenizer.json', { status: 503, times: 2 });
    const dest = join(dir, 'tokenizer.json');
    await downloadFile(url(hub, 'tokenizer.json'), dest, { env: {}, ...quick });
    assert.deepEqual(readFileSync(dest), bytes);
    assert.equal(hub.gets('tokenizer.json').length, 3);
  });
});

test('follows a renamed-repo redirect and the CDN redirect; the token goes to the hub only', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(40_000, 11);
    hub.addFile(REPO, 'onnx/vision_model.onnx', bytes, { lfs: true });
    hub.renameRepo('openai/old-name', REPO);
    const dest = join(dir, 'vision_model.onnx');
    const got = await downloadFile(`${hub.url}/openai/old-name/resolve/main/onnx/vision_model.onnx`, dest, {
      env: { HF_TOKEN: 'hf_secret' },
      ...quick,
    });
    assert.deepEqual(readFileSync(dest), bytes);
    assert.equal(got.sha256Verified, true);
    const gets = hub.gets();
    assert.deepEqual(gets.map((r) => r.server), ['hub', 'hub', 'cdn']);
    assert.deepEqual(gets.map((r) => r.authorization), ['Bearer hf_secret', 'Bearer hf_secret', undefined]);
  });
});

test('cancelling mid-transfer keeps the .part, never a half file, and a later call resumes it', async () => {
  await withHub(async (hub, dir) => {
    const bytes = patternBytes(BIG, 12);
    hub.addFile(REPO, 'onnx/vision_model.onnx', bytes, { lfs: true });
    hub.fault(REPO, 'onnx/vision_model.onnx', { throttle: { chunk: 16_384, delayMs: 5 } });
    const dest = join(dir, 'vision_model.onnx');
    const controller = new AbortController();
    await assert.rejects(
      downloadFile(url(hub, 'onnx/vision_model.onnx'), dest, {
        env: {},
        ...quick,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.done >= BIG / 3) controller.abort();
        },
      }),
      CancelledError,
    );
    assert.equal(existsSync(dest), false);
    const kept = readFileSync(partPathFor(dest));
    assert.ok(kept.length >= BIG / 3 && kept.length < BIG, `kept ${kept.length} bytes`);
    assert.deepEqual(kept, bytes.subarray(0, kept.length), 'the .part holds a true prefix');
    assert.equal(existsSync(`${dest}.lock`), false, 'the lock is released');

    const got = await downloadFile(url(hub, 'onnx/vision_model.onnx'), dest, { env: {}, ...quick });
    assert.equal(got.resumedFrom, kept.length);
    assert.equal(hub.gets().at(-1)!.range, `bytes=${kept.length}-`);
    assert.deepEqual(readFileSync(dest), bytes);
  });
});

test('an already-aborted signal downloads nothing', async () => {
  await withHub(async (hub, dir) => {
    hub.addFile(REPO, 'merges.txt', Buffer.from('x'));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      downloadFile(url(hub, 'merges.txt'), join(dir, 'merges.txt'), { env: {}, signal: controller.signal }),
      CancelledError,
    );
    assert.equal(hub.requests.length, 0);
  });
});

test('a download locked by another live process is refused; a stale lock is taken over', async () => {
  await withHub(async (hub, dir) => {
    hub.addFile(REPO, 'merges.txt', Buffer.from('m'));
    const dest = join(dir, 'merges.txt');
    writeFileSync(`${dest}.lock`, String(process.ppid));
    await assert.rejects(downloadFile(url(hub, 'merges.txt'), dest, { env: {} }), (err: Error) =>
      err instanceof UserError && err.message.includes(`pid ${process.ppid}`),
    );
    writeFileSync(`${dest}.lock`, '999999999');
    await downloadFile(url(hub, 'merges.txt'), dest, { env: {} });
    assert.equal(readFileSync(dest, 'utf8'), 'm');
  });
});

/** A registry entry pointing at the fake hub's repo with small files, one of them LFS. */
function addModel(hub: FakeHub, entry: ModelEntry): Map<string, Buffer> {
  const contents = new Map<string, Buffer>();
  filesFor(entry, 'fp32').forEach((f, i) => {
    const big = f.path.endsWith('.onnx');
    const bytes = big ? patternBytes(120_000 + i * 1000, 20 + i) : Buffer.from(`{"file": "${f.path}"}`);
    contents.set(f.path, bytes);
    hub.addFile(entry.repo, f.path, bytes, { lfs: big });
  });
  return contents;
}

test('downloadModel fetches every file with monotonic progress that ends at the total', async () => {
  await withHub(async (hub, dir) => {
    const entry = findModel('clip-vit-base-patch32')!;
    const contents = addModel(hub, entry);
    hub.fault(entry.repo, 'onnx/vision_model.onnx', { cutAfter: 50_000 });
    const events: ModelDownloadProgress[] = [];
    const result = await downloadModel(entry, 'fp32', {
      cacheDir: dir,
      env: { HF_ENDPOINT: hub.url },
      ...quick,
      onProgress: (p) => events.push(p),
    });
    const total = [...contents.values()].reduce((s, b) => s + b.length, 0);
    assert.equal(result.dir, join(dir, 'models', 'clip-vit-base-patch32'));
    for (const [path, bytes] of contents) assert.deepEqual(readFileSync(join(result.dir, path)), bytes, path);
    assert.equal(result.fetched.length, contents.size);
    assert.ok(events.length > contents.size);
    for (let i = 1; i < events.length; i++) {
      assert.ok(events[i].done >= events[i - 1].done, `overall progress went back at event ${i}`);
      if (events[i].file === events[i - 1].file) assert.ok(events[i].fileDone >= events[i - 1].fileDone);
      assert.equal(events[i].total, total, 'the total is known from the start (HEAD)');
    }
    const last = events.at(-1)!;
    assert.equal(last.done, total);
    assert.equal(last.filesDone, last.filesTotal);
    assert.equal(last.filesTotal, contents.size);

    // Everything in place: a second call fetches nothing and sends no request.
    const before = hub.requests.length;
    const again = await downloadModel(entry, 'fp32', { cacheDir: dir, env: { HF_ENDPOINT: hub.url } });
    assert.equal(again.fetched.length, 0);
    assert.equal(again.present.length, contents.size);
    assert.equal(hub.requests.length, before);
  });
});

test('downloadModel reports a file the hub lacks before downloading the big ones', async () => {
  await withHub(async (hub, dir) => {
    const entry = findModel('clip-vit-base-patch16')!;
    addModel(hub, entry);
    hub.fault(entry.repo, 'merges.txt', { status: 404, times: 100 });
    await assert.rejects(
      downloadModel(entry, 'fp32', { cacheDir: dir, env: { HF_ENDPOINT: hub.url }, ...quick }),
      (err: Error) => err instanceof UserError && err.message.includes('merges.txt') && /404/.test(err.message),
    );
    assert.equal(hub.gets().length, 0, 'only HEAD requests were sent');
  });
});

test('unreachable hub: one message names every file to place by hand, the folder and the URLs', async () => {
  const dir = tempDir();
  try {
    const entry = findModel('clip-vit-large-patch14')!;
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const env = { HF_ENDPOINT: endpoint };
    // One file already there is not asked for again.
    mkdirSync(join(dir, 'models', entry.id), { recursive: true });
    writeFileSync(join(dir, 'models', entry.id, 'config.json'), '{}');
    let message = '';
    await assert.rejects(downloadModel(entry, 'quantized', { cacheDir: dir, env }), (err: Error) => {
      message = err.message;
      return err instanceof UserError;
    });
    const folder = join(dir, 'models', entry.id);
    assert.match(message.split('\n')[0], /cannot reach/);
    assert.match(message.split('\n')[0], /ECONNREFUSED/);
    assert.ok(message.split('\n')[0].includes(`${folder}/`), 'the first line names the target folder');
    for (const f of filesFor(entry, 'quantized').filter((f) => f.path !== 'config.json')) {
      assert.ok(message.includes(join(folder, f.path)), `names ${f.path}`);
      assert.ok(message.includes(fileUrl(entry, f, env)), `gives the URL of ${f.path}`);
    }
    assert.ok(message.includes('onnx/vision_model_quantized.onnx'));
    assert.ok(!message.includes(`${folder}/config.json `), 'a file already present is not listed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HTTP_PROXY: plain HTTP goes through the forward proxy; NO_PROXY bypasses it', async () => {
  const proxy = await new CountingProxy().start();
  try {
    await withHub(async (hub, dir) => {
      const bytes = patternBytes(60_000, 13);
      hub.addFile(REPO, 'onnx/vision_model.onnx', bytes, { lfs: true });
      const u = url(hub, 'onnx/vision_model.onnx');
      const dest = join(dir, 'a.onnx');
      await downloadFile(u, dest, { env: { HTTP_PROXY: `http://user:p%40ss@${proxy.url.slice(7)}` }, ...quick });
      assert.deepEqual(readFileSync(dest), bytes);
      assert.equal(proxy.forwarded.length, 2, 'hub request and CDN request both went through the proxy');
      assert.equal(proxy.forwarded[0], u, 'absolute-URI request line');
      assert.equal(proxy.auth[0], `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
      assert.ok(hub.requests.every((r) => r.rawUrl.startsWith('/')), 'the proxy forwarded origin-form requests');

      const seen = proxy.forwarded.length;
      await downloadFile(u, join(dir, 'b.onnx'), { env: { http_proxy: proxy.url, NO_PROXY: 'localhost,127.0.0.1' }, ...quick });
      assert.equal(proxy.forwarded.length, seen, 'NO_PROXY matched 127.0.0.1');
    });
  } finally {
    await proxy.close();
  }
});

test('HTTPS_PROXY: HTTPS is tunnelled with CONNECT, resumes and verifies like a direct download', async () => {
  const tlsDir = generatedFixtures('download-tls');
  const tls = { key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) };
  const proxy = await new CountingProxy().start();
  try {
    await withHub(async (hub, dir) => {
      const bytes = patternBytes(BIG, 14);
      hub.addFile(REPO, 'onnx/vision_model.onnx', bytes, { lfs: true });
      hub.fault(REPO, 'onnx/vision_model.onnx', { cutAfter: 100_000 });
      assert.ok(hub.url.startsWith('https://'));
      const dest = join(dir, 'v.onnx');
      const got = await downloadFile(url(hub, 'onnx/vision_model.onnx'), dest, {
        env: { HTTPS_PROXY: proxy.url },
        ca: tls.cert,
        ...quick,
      });
      assert.deepEqual(readFileSync(dest), bytes);
      assert.equal(got.sha256Verified, true);
      const hubHost = hub.url.slice('https://'.length);
      const cdnHost = hub.cdnUrl.slice('https://'.length);
      // A resume starts again from the hub URL: the CDN's signed URL may have expired.
      assert.deepEqual(proxy.tunnels, [hubHost, cdnHost, hubHost, cdnHost], 'hub and CDN, then both again to resume');
      assert.equal(proxy.forwarded.length, 0);
      // The resume asks for what reached the disk: the cut's last bytes may die in the tunnel with the socket.
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(hub.gets().at(-1)!.range ?? '')?.[1]);
      assert.ok(resumedAt > 0 && resumedAt <= 100_000, `resumed at ${resumedAt}`);

      // Without the CA the certificate is refused with a hint, not a stack trace.
      await assert.rejects(
        downloadFile(url(hub, 'onnx/vision_model.onnx'), join(dir, 'w.onnx'), { env: { HTTPS_PROXY: proxy.url }, ...quick }),
        (err: Error) => err instanceof UserError && /NODE_EXTRA_CA_CERTS/.test(err.message),
      );
    }, tls);
  } finally {
    await proxy.close();
  }
});

test('a proxy that cannot be reached is named in the offline message', async () => {
  const dir = tempDir();
  try {
    const entry = findModel('clip-vit-base-patch32')!;
    const proxyPort = await closedPort();
    await assert.rejects(
      downloadModel(entry, 'fp16', { cacheDir: dir, env: { HF_ENDPOINT: 'http://hub.invalid', HTTP_PROXY: `http://127.0.0.1:${proxyPort}` } }),
      (err: Error) =>
        err instanceof UserError &&
        err.message.includes(`through proxy http://127.0.0.1:${proxyPort}`) &&
        err.message.includes('onnx/text_model_fp16.onnx'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
