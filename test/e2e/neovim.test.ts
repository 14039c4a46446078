// A second real LSP client: Neovim, headless, runs the README's Neovim config (test/e2e/neovim/gla-client.lua drives
// it) on a fresh copy of the lsp-dataset fixture: diagnostics on gla.yaml, a hover that names no VS Code UI, and
// :GlaAnalyze's documented gla.analyze request, whose run folder exists and whose findings reach the class lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { makeWorkspace } from '../helpers/lsp-workspace';
import { modelFixture } from '../helpers/model-fixtures';
import { repoRoot, serverPath } from '../helpers/paths';
import { readmeBlock } from '../helpers/readme-blocks';
import type { AnalyzeResult, RunFinishedParams } from '../../server/src/protocol';

const NVIM_MS = 240_000;
/** Where the README's config says the server is; the test points it at this checkout's bundle. */
const README_SERVER = '/path/to/gla-studio/dist/server.js';
/** The 0-based line and a character inside `  - folder: red circle` in manifest(). */
const HOVER = { line: 2, character: 14 };

interface Seen {
  nvim: string;
  startedWith: string;
  publishes: { path: string; codes: string[] }[];
  publishesBeforeRun: number;
  progress: { kind: string; title?: string }[];
  notices: { message: string; level?: number }[];
  hoverBeforeRun?: string;
  hoverAfterRun?: string;
  command?: { err?: { message: string }; result?: AnalyzeResult };
  runFinished?: RunFinishedParams;
  error?: string;
}

function manifest(): string {
  return [`model: ${JSON.stringify(modelFixture('tiny-clip'))}`, 'classes:', '  - folder: red circle', '  - folder: blue_square',
    '  - folder: grüne Dreiecke', '    prompt: green triangle', '  - folder: n04254680', '    prompt: yellow circle',
    'templates: ["a photo of a {}."]', ''].join('\n');
}

function nvimVersion(): string {
  const probe = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    assert.fail(`nvim is not installed (${probe.error?.message ?? probe.stderr}): run scripts/setup-e2e.sh, which installs Debian's neovim`);
  }
  return probe.stdout.split('\n')[0];
}

function atLeast08(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 0 || minor >= 8;
}

test('Neovim with the README config: diagnostics, a client-neutral hover, and :GlaAnalyze\'s run', { timeout: NVIM_MS + 30_000 }, async (t) => {
  const version = nvimVersion();
  const ws = makeWorkspace();
  t.after(() => ws.remove());
  const manifestPath = join(ws.shapes, 'gla.yaml');
  writeFileSync(manifestPath, manifest());

  const readmeConfig = readmeBlock('neovim config', 'lua');
  assert.ok(readmeConfig.includes(`'${README_SERVER}'`), `the README config starts ${README_SERVER}`);
  const configPath = join(ws.root, 'gla-config.lua');
  writeFileSync(configPath, readmeConfig.replace(README_SERVER, serverPath));
  const outPath = join(ws.root, 'seen.json');
  // Neovim's own state, swap and lsp.log stay in the test's folder.
  const home = join(ws.root, 'nvim-home');
  for (const d of ['config', 'data', 'state', 'cache']) mkdirSync(join(home, d), { recursive: true });

  const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile('nvim', ['--headless', '--clean', '-n', '-c', `luafile ${join(repoRoot, 'test', 'e2e', 'neovim', 'gla-client.lua')}`], {
      cwd: ws.root,
      timeout: NVIM_MS,
      env: {
        ...process.env,
        // The README's cmd is `node`: this Node.
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
        GLA_CACHE_DIR: ws.cacheDir,
        XDG_CONFIG_HOME: join(home, 'config'), XDG_DATA_HOME: join(home, 'data'),
        XDG_STATE_HOME: join(home, 'state'), XDG_CACHE_HOME: join(home, 'cache'),
        GLA_NVIM_CONFIG: configPath, GLA_NVIM_MANIFEST: manifestPath, GLA_NVIM_OUT: outPath,
        GLA_NVIM_HOVER_LINE: String(HOVER.line), GLA_NVIM_HOVER_CHARACTER: String(HOVER.character),
      },
    }, () => undefined);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  const lspLog = [join(home, 'cache', 'nvim', 'lsp.log'), join(home, 'state', 'nvim', 'lsp.log')].filter(existsSync).map((p) => readFileSync(p, 'utf8').slice(-4000)).join('\n');
  assert.ok(existsSync(outPath), `nvim wrote nothing (exit ${run.code}): ${run.stderr}\n${lspLog}`);
  const seen = JSON.parse(readFileSync(outPath, 'utf8')) as Seen;
  assert.equal(seen.error, undefined, `${seen.error}\nnotices: ${JSON.stringify(seen.notices)}\n${lspLog}`);
  assert.equal(run.code, 0, run.stderr);
  t.diagnostic(`${version}, started with ${seen.startedWith}`);
  assert.equal(seen.startedWith, atLeast08(seen.nvim) ? 'vim.lsp.start' : 'start_client + buf_attach_client');

  // Before the run: the clean manifest's (empty) diagnostics, and a hover telling this client the LSP command.
  const before = seen.publishes.slice(0, seen.publishesBeforeRun).filter((p) => p.path === manifestPath);
  assert.ok(before.length > 0, 'diagnostics on gla.yaml before the run');
  assert.deepEqual(before.at(-1)!.codes, [], 'the manifest is clean');
  assert.ok(seen.hoverBeforeRun, 'a hover on the class line');
  assert.match(seen.hoverBeforeRun, /No run yet: run the `gla\.analyze` command \(workspace\/executeCommand\)/);
  assert.doesNotMatch(seen.hoverBeforeRun, /GLA: Analyze Dataset|palette/i);

  // :GlaAnalyze: the documented answer, a run folder that exists, and the README handler's line.
  assert.equal(seen.command?.err, undefined, JSON.stringify(seen.command?.err));
  const result = seen.command!.result!;
  // No git repository here, so root_dir is the dataset's folder: runs go under it, never above it.
  assert.equal(result.runDir, join(ws.shapes, '.gla', 'runs', result.summary.runId), 'the run goes to the workspace folder (root_dir)');
  assert.ok(existsSync(join(result.runDir, 'report.json')), result.runDir);
  assert.equal(result.summary.classes, 4);
  assert.equal(result.summary.images, 33);
  const s = result.summary;
  assert.ok(seen.notices.some((n) => n.message === `GLA: ${s.images} images, ${s.classes} classes, ${s.labelIssues} suspected label errors; report ${s.reportPath}`),
    JSON.stringify(seen.notices));
  // Neovim sent no workDoneToken, so the server created the progress.
  assert.deepEqual([seen.progress[0]?.kind, seen.progress.at(-1)?.kind], ['begin', 'end'], JSON.stringify(seen.progress));
  assert.equal(seen.progress[0].title, 'GLA: Analyzing shapes');
  assert.equal(seen.runFinished?.runDir, result.runDir);

  // After the run: one bias finding per class line, and the hover shows the run's numbers.
  const after = seen.publishes.slice(seen.publishesBeforeRun).filter((p) => p.path === manifestPath);
  assert.ok(after.length > 0, 'diagnostics on gla.yaml after the run');
  const findings = after.at(-1)!.codes;
  assert.equal(findings.length, 4, JSON.stringify(findings));
  for (const code of findings) assert.ok(['class-bias', 'bias-against-class', 'prompt-misses-class'].includes(code), code);
  assert.match(seen.hoverAfterRun ?? '', /q = \d/);
  assert.doesNotMatch(seen.hoverAfterRun ?? '', /No run yet/);
});
