// `gla model list | download | verify` as users run it: the bundled CLI, spawned, against a fake hub on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesFor, findModel } from '../../server/src/clip/models/registry';
import { FakeHub, patternBytes } from '../helpers/fake-hub';
import { CountingProxy } from '../helpers/counting-proxy';
import { cliPath, generatedFixtures } from '../helpers/paths';
import { closedPort } from '../helpers/closed-port';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(k) || /^HF_/.test(k)) delete env[k];
  return { ...env, ...extra };
}

function start(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [cliPath, ...args], { env: baseEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** Runs the CLI without blocking this process's event loop (the fake hub lives in it). */
function gla(args: string[], env: Record<string, string>): Promise<Run> {
  return start(args, env).done;
}

function noStackTrace(r: Run): void {
  assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace expected:\n${r.stderr}`);
  assert.ok(!/internal error/.test(r.stderr), r.stderr);
}

const entry = findModel('clip-vit-base-patch32')!;
const VISION = 'onnx/vision_model_quantized.onnx';

/** A fake hub holding the quantized variant of clip-vit-base-patch32 (small bytes; the towers as LFS files). */
async function hubWithModel(tls?: { key: Buffer; cert: Buffer }): Promise<{ hub: FakeHub; contents: Map<string, Buffer> }> {
  const hub = await new FakeHub(tls).start();
  const contents = new Map<string, Buffer>();
  filesFor(entry, 'quantized').forEach((f, i) => {
    const big = f.path.endsWith('.onnx');
    const bytes = big ? patternBytes(400_000 + i, 40 + i) : Buffer.from(`{"name": "${f.path}"}\n`);
    contents.set(f.path, bytes);
    hub.addFile(entry.repo, f.path, bytes, { lfs: big });
  });
  return { hub, contents };
}

async function withCache(fn: (cacheDir: string) => Promise<void>): Promise<void> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gla-model-cli-'));
  try {
    await fn(cacheDir);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

test('gla model download fetches, verifies and reports; gla model list then shows it cached', async () => {
  const { hub, contents } = await hubWithModel();
  try {
    await withCache(async (cacheDir) => {
      const env = { HF_ENDPOINT: hub.url, GLA_CACHE_DIR: cacheDir };
      const r = await gla(['model', 'download', 'clip-vit-base-patch32', '--variant', 'quantized'], env);
      assert.equal(r.code, 0, r.stderr);
      const dir = join(cacheDir, 'models', 'clip-vit-base-patch32');
      for (const [path, bytes] of contents) assert.deepEqual(readFileSync(join(dir, path)), bytes, path);
      assert.match(r.stdout, new RegExp(`clip-vit-base-patch32 \\(quantized\\) is ready in ${dir}`));
      // Not a terminal: plain lines, one per finished file, with what was checked.
      assert.ok(!r.stderr.includes('\r'), 'no in-place redraw when stderr is not a TTY');
      assert.match(r.stderr, new RegExp(`${VISION.replace(/\./g, '\\.')}\\s+400\\.\\d+ kB\\s+sha256 ok`));
      assert.match(r.stderr, /config\.json\s+\d+ B\s+size ok, no sha256 declared/);

      const list = await gla(['model', 'list', '--json'], env);
      assert.equal(list.code, 0, list.stderr);
      const parsed = JSON.parse(list.stdout) as { cacheDir: string; models: { id: string; cached: string[]; dim: number }[] };
      assert.equal(parsed.cacheDir, cacheDir);
      assert.deepEqual(parsed.models.map((m) => [m.id, m.dim, m.cached]), [
        ['clip-vit-base-patch32', 512, ['quantized']],
        ['clip-vit-base-patch16', 512, []],
        ['clip-vit-large-patch14', 768, []],
      ]);
      const text = await gla(['model', 'list'], env);
      assert.match(text.stdout, /clip-vit-base-patch32\s+512\s+224\s+quantized\s+fp32, quantized, fp16\s+Xenova\/clip-vit-base-patch32/);
      assert.match(text.stdout, /clip-vit-large-patch14\s+768\s+224\s+-\s+/);

      const again = await gla(['model', 'download', 'clip-vit-base-patch32', '--variant', 'quantized', '--json'], env);
      assert.equal(again.code, 0, again.stderr);
      const json = JSON.parse(again.stdout) as { dir: string; files: { path: string; downloaded: boolean }[] };
      assert.equal(json.dir, dir);
      assert.ok(json.files.every((f) => !f.downloaded), 'nothing fetched twice');
    });
  } finally {
    await hub.close();
  }
});

test('Ctrl-C cancels a download, keeps the .part, and the next run resumes it with Range', async () => {
  const { hub, contents } = await hubWithModel();
  hub.fault(entry.repo, VISION, { throttle: { chunk: 8192, delayMs: 10 } });
  try {
    await withCache(async (cacheDir) => {
      const env = { HF_ENDPOINT: hub.url, GLA_CACHE_DIR: cacheDir };
      const dest = join(cacheDir, 'models', 'clip-vit-base-patch32', VISION);
      const { child, done } = start(['model', 'download', 'clip-vit-base-patch32', '--variant', 'quantized'], env);
      const deadline = Date.now() + 20_000;
      while (!(existsSync(`${dest}.part`) && statSync(`${dest}.part`).size > 50_000)) {
        assert.ok(Date.now() < deadline, 'the transfer never started');
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGINT');
      const r = await done;
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /cancelled/);
      assert.match(r.stderr, /run the same command again to resume/);
      noStackTrace(r);
      assert.equal(existsSync(dest), false, 'no half file under the final name');
      const kept = statSync(`${dest}.part`).size;
      assert.ok(kept > 50_000 && kept < 400_000, `kept ${kept}`);
      assert.equal(existsSync(`${dest}.lock`), false);

      const again = await gla(['model', 'download', 'clip-vit-base-patch32', '--variant', 'quantized'], env);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(readFileSync(dest), contents.get(VISION));
      assert.equal(hub.gets(VISION).at(-1)!.range, `bytes=${kept}-`);
      const cdn = hub.gets().filter((g) => g.server === 'cdn' && g.rawUrl.includes(encodeURIComponent(VISION)));
      assert.deepEqual(cdn.map((g) => g.range), [undefined, `bytes=${kept}-`]);
    });
  } finally {
    await hub.close();
  }
});

test('offline: one clear message naming every file, its URL and the folder, exit 2, no stack trace', async () => {
  await withCache(async (cacheDir) => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const r = await gla(['model', 'download', 'clip-vit-base-patch32'], { HF_ENDPOINT: endpoint, GLA_CACHE_DIR: cacheDir });
    assert.equal(r.code, 2);
    noStackTrace(r);
    const dir = join(cacheDir, 'models', 'clip-vit-base-patch32');
    assert.match(r.stderr, /cannot reach/);
    for (const f of filesFor(entry, 'fp32')) {
      assert.ok(r.stderr.includes(join(dir, f.path)), f.path);
      assert.ok(r.stderr.includes(`${endpoint}/${entry.repo}/resolve/main/${f.path}`), f.path);
    }
  });
});

test('HTTP_PROXY and HTTPS_PROXY (CONNECT, NODE_EXTRA_CA_CERTS) are honoured by the CLI', async () => {
  const proxy = await new CountingProxy().start();
  try {
    const plain = await hubWithModel();
    try {
      await withCache(async (cacheDir) => {
        const r = await gla(['model', 'download', 'clip-vit-base-patch32', '--variant', 'quantized'], {
          HF_ENDPOINT: plain.hub.url,
          GLA_CACHE_DIR: cacheDir,
          HTTP_PROXY: proxy.url,
        });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /via proxy 127\.0\.0\.1/);
        // 7 HEADs + 7 GETs + 2 CDN GETs.
        assert.equal(proxy.forwarded.length, 16);
        assert.ok(proxy.forwarded.every((u) => u.startsWith('http://127.0.0.1:')));
      });
    } finally {
      await plain.hub.close();
    }

    const tlsDir = generatedFixtures('download-tls');
    const tls = { key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) };
    const secure = await hubWithModel(tls);
    try {
      await withCache(async (cacheDir) => {
        const r = await gla(['model', 'download', 'clip-vit-base-patch32', '--variant', 'quantized'], {
          HF_ENDPOINT: secure.hub.url,
          GLA_CACHE_DIR: cacheDir,
          HTTPS_PROXY: proxy.url,
          NODE_EXTRA_CA_CERTS: join(tlsDir, 'cert.pem'),
        });
        assert.equal(r.code, 0, r.stderr);
        const dir = join(cacheDir, 'models', 'clip-vit-base-patch32');
        for (const [path, bytes] of secure.contents) assert.deepEqual(readFileSync(join(dir, path)), bytes, path);
        assert.equal(proxy.tunnels.length, 16, 'every request was tunnelled');
      });
    } finally {
      await secure.hub.close();
    }
  } finally {
    await proxy.close();
  }
});

test('gla model verify: ok folders pass, broken ones name the file and the fault', async () => {
  const fixtures = generatedFixtures('model-verify');
  const ok = await gla(['model', 'verify', join(fixtures, 'good')], {});
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /ok, embeddings of width 8, 32×32 input/);
  assert.match(ok.stdout, /onnx\/vision_model\.onnx: pixel_values \[batch_size,3,32,32\] -> image_embeds \[batch_size,8\]/);

  const bad = await gla(['model', 'verify', join(fixtures, 'many-problems')], {});
  assert.equal(bad.code, 1);
  noStackTrace(bad);
  assert.match(bad.stderr, /has 3 problems/);
  assert.match(bad.stderr, /onnx\/vision_model\.onnx: input pixel_values is missing \(inputs are 'pixels'/);
  assert.match(bad.stderr, /onnx\/text_model\.onnx: output text_embeds is missing/);
  assert.match(bad.stderr, /preprocessor_config\.json: missing/);

  const json = await gla(['model', 'verify', join(fixtures, 'dims-disagree'), '--json'], {});
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout) as { ok: boolean; problems: { file: string; message: string }[] };
  assert.equal(report.ok, false);
  assert.match(report.problems[0].message, /gives 6.*gives 8/);

  await withCache(async (cacheDir) => {
    const notCached = await gla(['model', 'verify', 'clip-vit-base-patch16'], { GLA_CACHE_DIR: cacheDir });
    assert.equal(notCached.code, 1);
    assert.ok(notCached.stderr.includes(join(cacheDir, 'models', 'clip-vit-base-patch16')));
  });
});

test('bad input to gla model: one clear line, non-zero exit', async () => {
  const cases: [string[], RegExp][] = [
    [['model'], /missing subcommand/],
    [['model', 'frobnicate'], /unknown subcommand 'frobnicate'/],
    [['model', 'download', 'clip-vit-huge'], /unknown model 'clip-vit-huge'.*clip-vit-base-patch32/],
    [['model', 'download'], /exactly one model id/],
    [['model', 'download', 'clip-vit-base-patch32', '--variant', 'int8'], /--variant must be one of fp32, quantized, fp16/],
    [['model', 'list', '--bogus'], /gla model list: .*bogus/],
  ];
  for (const [args, pattern] of cases) {
    const r = await gla(args, { GLA_CACHE_DIR: join(tmpdir(), 'gla-never-written') });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0], pattern);
    noStackTrace(r);
  }
});
