// npm run package: the linux-x64 VSIX in the project root, checked. vsce collects the production dependencies and
// .vscodeignore (an allowlist) keeps only what the installed extension runs: the esbuild bundles, media/, and the
// linux-x64 native runtime of onnxruntime-node and sharp.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderIcon } from './render-icon.mjs';
import { writeUsersReadme } from './users-readme.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = 'linux-x64';
const MAX_BYTES = 150 * 1024 * 1024;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsixName = `${pkg.name}-${target}-${pkg.version}.vsix`;
const vsixPath = join(root, vsixName);

for (const f of ['dist/extension.js', 'dist/server.js', 'dist/cli.js']) {
  if (!existsSync(join(root, f))) fail(`${f} is missing: run npm run build first`);
}

// package.json's "icon" is dist/icon.png, rendered from the committed media/icon.svg.
await renderIcon();

const vsce = createRequire(import.meta.url).resolve('@vscode/vsce/vsce');
// The extension page shows the users' README, not the developers' one. It loads only https: and data: images, so the
// screenshots are inlined as data: URIs (scripts/users-readme.mjs): an installed VSIX shows them offline. vsce would
// refuse non-https images while it rewrites relative links, so it rewrites none (the README has no relative links).
const readme = 'media/marketplace/README.md';
checkReadmeImages(readFileSync(join(root, readme), 'utf8'));
const built = await writeUsersReadme(root, readme);
console.log(`package: ${built.path}: ${built.images} images inlined, ${(built.bytes / 1024).toFixed(0)} KB`);
const args = ['package', '--target', target, '--out', vsixPath, '--no-yarn', '--skip-license', '--readme-path', built.path, '--no-rewrite-relative-links'];
const t0 = Date.now();
const run = spawnSync(process.execPath, [vsce, ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
if (run.status !== 0) fail(`vsce package failed (exit ${run.status})`);

// Check what went in: the parts that must be there, and nothing that must not.
const entries = listZip(readFileSync(vsixPath));
const names = entries.map((e) => e.name);
const required = [
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/dist/server.js',
  'extension/dist/cli.js',
  'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
  'extension/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
  'extension/node_modules/onnxruntime-node/dist/index.js',
  'extension/node_modules/onnxruntime-common/package.json',
  'extension/node_modules/sharp/dist/index.cjs',
  'extension/node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-0.35.5.node',
  'extension/node_modules/detect-libc/package.json',
  'extension/node_modules/semver/package.json',
  'extension/node_modules/@img/colour/package.json',
  'extension/media/gla-dataset.language-configuration.json',
  'extension/dist/media/panel.js',
  'extension/media/panel.css',
  'extension/dist/icon.png',
  'extension/readme.md',
  ...pkg.contributes.walkthroughs.flatMap((w) => w.steps.map((s) => `extension/${s.media.markdown ?? s.media.image}`)),
];
const missing = required.filter((r) => !names.includes(r));
if (!names.some((n) => /^extension\/node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/.test(n))) missing.push('libvips-cpp.so');
const forbidden = names.filter(
  (n) =>
    /\.(map|ts|cc|h|gyp)$/.test(n) ||
    /^extension\/(test|client|server|scripts|out|bench-data|\.e2e)\//.test(n) ||
    /\/napi-v6\/(darwin|win32|linux\/arm64)\//.test(n) ||
    /\/@img\/sharp-(?!linux-x64|libvips-linux-x64)/.test(n),
);
const size = statSync(vsixPath).size;
const unpacked = entries.reduce((s, e) => s + e.size, 0);
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
console.log(`\n${vsixName}: ${mb(size)} (${mb(unpacked)} unpacked), ${entries.length} files, packaged in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const groups = new Map();
for (const e of entries) {
  const m = e.name.match(/^extension\/(node_modules\/(?:@[^/]+\/)?[^/]+|[^/]+)/);
  const key = m ? m[1] : e.name;
  groups.set(key, (groups.get(key) ?? 0) + e.size);
}
for (const [k, v] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${mb(v).padStart(9)}  ${k}`);
if (missing.length) fail(`the VSIX lacks ${missing.join(', ')}`);
if (names.some((n) => /^extension\/readme\.md$/i.test(n) && n !== 'extension/readme.md')) fail('the VSIX carries the developer README.md beside the users\' readme.md');
if (forbidden.length) fail(`the VSIX must not carry ${forbidden.slice(0, 10).join(', ')}${forbidden.length > 10 ? ', …' : ''}`);
if (size >= MAX_BYTES) fail(`the VSIX is ${mb(size)}, over the 150 MB budget`);

/** Every image of the users' README is a file of the repository linked from its root (it is inlined), and no other link is relative. */
function checkReadmeImages(markdown) {
  for (const [, link] of markdown.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)) {
    if (!link.startsWith('/')) fail(`${readme}: image ${link} must be a repository file linked from the root (/path), which packaging inlines`);
    if (!existsSync(join(root, link))) fail(`${readme}: image ${link} does not exist`);
  }
  for (const [, link] of markdown.matchAll(/(?<!!)\[[^\]]*\]\(([^)\s]+)\)/g)) {
    if (!/^(https:\/\/|#)/.test(link)) fail(`${readme}: link ${link} must be an https URL or an #anchor (relative links are not rewritten)`);
  }
}

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

/** Names and uncompressed sizes from a zip's central directory (the VSIX format); verifies nothing else. */
function listZip(buf) {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) fail('the VSIX is not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) fail('corrupt zip central directory');
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    out.push({ name: buf.toString('utf8', p + 46, p + 46 + nameLen), size });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
