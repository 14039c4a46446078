// Bundles the extension, the worker (LSP server + CLI) and its worker threads into dist/ with esbuild, and the bias
// panel's webview script into dist/media/panel.js (for the browser; `tsc -b` type-checks it against the DOM).
import { build } from 'esbuild';
import { chmodSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const watch = process.argv.includes('--watch');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native addons stay outside the bundle and ship in node_modules.
  external: ['vscode', 'onnxruntime-node', 'sharp'],
  // server/src/version.ts: the bundle carries package.json's version, wherever dist/ is copied to.
  define: { VERSION_FROM_BUNDLE: JSON.stringify(version) },
};

// Each worker script sits in a workers/ folder beside the module that starts it; all of them land in dist/workers/.
const workerDirs = ['server/src/clip/images/workers', 'server/src/clip/inference/workers'];
const workers = workerDirs
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)));
// Named entries, so each lands flat in dist/workers/ whatever folder it comes from.
const workerEntries = Object.fromEntries(workers.map((p) => [basename(p, '.ts'), p]));

const jobs = [
  { entryPoints: { server: 'server/src/server.ts' }, outdir: 'dist' },
  { entryPoints: { cli: 'server/src/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: { extension: 'client/src/extension.ts' }, outdir: 'dist' },
];
if (workers.length) jobs.push({ entryPoints: workerEntries, outdir: 'dist/workers' });

// The webview runs in the browser under a strict CSP: one self-contained IIFE, no eval, no Node built-ins.
const webview = {
  entryPoints: { panel: 'media/src/panel.ts' },
  outdir: 'dist/media',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  sourcemap: true,
  logLevel: 'warning',
};

await Promise.all([
  ...jobs.filter((j) => Object.values(j.entryPoints).every((p) => existsSync(p))).map((j) => build({ ...common, ...j })),
  ...(existsSync(webview.entryPoints.panel) ? [build(webview)] : []),
]);
if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
if (watch) console.log('bundled');
