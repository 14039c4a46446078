// The packaged VSIX, installed the way VS Code installs it: it carries the linux-x64 native runtime and nothing it
// should not, and the installed bundles really load onnxruntime-node and sharp from inside the extension.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generatedFixtures } from '../helpers/paths';
import { createSandbox, vsixPath, type Sandbox } from './harness';

const tinyClip = join(generatedFixtures('models'), 'tiny-clip');

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('the VSIX', () => {
  let sandbox: Sandbox;
  before(() => {
    sandbox = createSandbox();
  });
  after(() => sandbox?.dispose());

  test('is under 150 MB and installs the linux-x64 runtime, bundles and media, and no sources, tests or maps', (t) => {
    const size = statSync(vsixPath()).size;
    t.diagnostic(`VSIX ${(size / 1024 / 1024).toFixed(1)} MB`);
    assert.ok(size < 150 * 1024 * 1024, `VSIX is ${size} bytes`);
    const files = filesUnder(sandbox.extensionDir).map((f) => relative(sandbox.extensionDir, f).split('\\').join('/'));
    for (const required of [
      'package.json',
      'dist/extension.js',
      'dist/server.js',
      'dist/cli.js',
      'media/gla-dataset.language-configuration.json',
      'media/panel.css',
      'dist/media/panel.js',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'node_modules/sharp/dist/index.cjs',
      'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-0.35.5.node',
    ]) {
      assert.ok(files.includes(required), `installed extension lacks ${required}`);
    }
    assert.ok(files.some((f) => /^node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/.test(f)), 'libvips is missing');
    assert.ok(files.some((f) => /^dist\/workers\/.+\.js$/.test(f)), 'worker-thread bundles are missing');
    const unwanted = files.filter(
      (f) =>
        /\.(map|ts|cc|h)$/.test(f) ||
        /^(test|client|server|scripts|out|media\/src)\//.test(f) ||
        f === 'media/tsconfig.json' ||
        /napi-v6\/(darwin|win32|linux\/arm64)\//.test(f),
    );
    assert.deepEqual(unwanted, []);
  });

  test('its onnxruntime-node runs a model and its sharp decodes an image, both resolved inside the extension', () => {
    const image = join(sandbox.workspace, 'shapes', 'test', 'red_circle', '0.png');
    const script = `
      const ort = require('onnxruntime-node');
      const sharp = require('sharp');
      (async () => {
        const session = await ort.InferenceSession.create(${JSON.stringify(join(tinyClip, 'onnx', 'vision_model.onnx'))});
        const pixels = new ort.Tensor('float32', new Float32Array(3 * 32 * 32), [1, 3, 32, 32]);
        const out = await session.run({ pixel_values: pixels });
        const { data, info } = await sharp(${JSON.stringify(image)}).raw().toBuffer({ resolveWithObject: true });
        console.log(JSON.stringify({
          ort: require.resolve('onnxruntime-node'), sharp: require.resolve('sharp'), ortVersion: ort.env.versions.node,
          sharpVersion: sharp.versions.sharp, embedDims: out.image_embeds.dims, raw: data.length, width: info.width,
        }));
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    // cwd is the installed extension: bare requires resolve from its node_modules, as dist/server.js's do.
    const run = spawnSync(process.execPath, ['-e', script], { cwd: sandbox.extensionDir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const got = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.ok(String(got.ort).startsWith(sandbox.extensionDir), `onnxruntime-node came from ${got.ort}`);
    assert.ok(String(got.sharp).startsWith(sandbox.extensionDir), `sharp came from ${got.sharp}`);
    assert.equal(got.ortVersion, '1.30.0');
    assert.equal(got.sharpVersion, '0.35.5');
    assert.deepEqual(got.embedDims, [1, 32]);
    assert.equal(got.width, 32);
    assert.equal(got.raw, 32 * 32 * 3);
  });

  test("the installed worker bundle embeds images (sharp + ONNX Runtime in worker threads) and verifies a model", () => {
    const cli = join(sandbox.extensionDir, 'dist', 'cli.js');
    const verify = spawnSync(process.execPath, [cli, 'model', 'verify', tinyClip], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(verify.status, 0, verify.stderr);
    assert.match(verify.stdout, /ok, embeddings of width 32/);

    const images = ['red_circle', 'blue_square', 'green_triangle'].map((c) => join(sandbox.workspace, 'shapes', 'test', c, '0.png'));
    const prefix = join(sandbox.root, 'embedded');
    const embed = spawnSync(process.execPath, [cli, 'embed', '--model', tinyClip, ...images, '--out', prefix], {
      cwd: sandbox.root, // not the repository: nothing may resolve from its node_modules
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...sandbox.env },
    });
    assert.equal(embed.status, 0, embed.stderr);
    const meta = JSON.parse(readFileSync(`${prefix}.json`, 'utf8')) as { dim: number; paths: string[]; failed: unknown[] };
    assert.equal(meta.dim, 32);
    assert.equal(meta.paths.length, 3);
    assert.deepEqual(meta.failed, []);
    // 3 × 32 float32 after the .npy header.
    assert.ok(statSync(`${prefix}.npy`).size >= 3 * 32 * 4);
  });
});
