// Real VS Code for the end-to-end tests: code-server 4.100.3 (installed by scripts/setup-e2e.sh into .e2e/) driven
// in Debian's Chromium through playwright-core, as ../shared/recipes/code-server-e2e.md shows. This file runs the
// processes (a sandbox, code-server); workbench.ts drives the browser page.
// Every session lives in a fresh folder under the OS temp dir, outside the repository, so the installed extension
// can only load the native runtime it carries (nothing resolves node_modules from the checkout).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedFixtures, repoRoot } from '../helpers/paths';

export const codeServerEntry = join(repoRoot, '.e2e', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromiumPath = '/usr/bin/chromium';
/** Where each e2e run writes its screenshots (git-ignored); `npm run screenshots` copies them over the committed ones. */
export const screenshotsDir = join(repoRoot, 'test', 'e2e', 'screenshots-latest');
export const STATUS_ITEM_SELECTOR = '[id="gla-studio.gla-studio.gla.status"]';

export type Theme = 'light' | 'dark';
const THEMES: Record<Theme, string> = { light: 'Default Light Modern', dark: 'Default Dark Modern' };

/** The VSIX `npm run package` writes into the project root. */
export function vsixPath(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return join(repoRoot, `${pkg.name}-linux-x64-${pkg.version}.vsix`);
}

export interface Sandbox {
  root: string;
  userDataDir: string;
  extensionsDir: string;
  /** The installed extension's folder inside extensionsDir. */
  extensionDir: string;
  /** A copy of the generated sample workspace (test/fixtures/e2e-workspace). */
  workspace: string;
  env: NodeJS.ProcessEnv;
  dispose(): void;
}

export interface SandboxOptions {
  theme?: Theme;
  /** false: workspace trust is on and the workspace is not trusted (Restricted Mode). */
  trusted?: boolean;
  settings?: Record<string, unknown>;
  /** Which of the fixture's datasets to copy into the workspace (default shapes and flowers). */
  datasets?: ('shapes' | 'flowers' | 'big')[];
}

/** A fresh user-data dir, extensions dir (with the VSIX installed) and workspace copy. */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  for (const [what, path] of [
    ['code-server (run scripts/setup-e2e.sh)', codeServerEntry],
    ['Chromium (run scripts/setup-e2e.sh)', chromiumPath],
    ['the VSIX (run npm run package)', vsixPath()],
    ['the e2e-workspace fixture (run npm run fixtures)', generatedFixtures('e2e-workspace')],
  ]) {
    if (!existsSync(path)) throw new Error(`e2e: ${what} is missing: ${path}`);
  }
  const root = mkdtempSync(join(tmpdir(), 'gla-e2e-'));
  const userDataDir = join(root, 'user');
  const extensionsDir = join(root, 'extensions');
  const workspace = join(root, 'workspace');
  // code-server writes its config.yaml under XDG_CONFIG_HOME: keep it in the sandbox, not in ~/.config.
  const env = { ...process.env, XDG_CONFIG_HOME: join(root, 'config'), XDG_DATA_HOME: join(root, 'data'), GLA_CACHE_DIR: join(root, 'cache') };
  // The workspace is the fixture's datasets; its bookkeeping (manifest.json, .stamp) and the canned run stay out.
  const fixture = generatedFixtures('e2e-workspace');
  for (const dataset of options.datasets ?? ['shapes', 'flowers']) cpSync(join(fixture, dataset), join(workspace, dataset), { recursive: true });
  const install = spawnSync(process.execPath, [codeServerEntry, '--install-extension', vsixPath(), '--extensions-dir', extensionsDir], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (install.status !== 0 || !/successfully installed/.test(install.stdout)) {
    throw new Error(`e2e: installing the VSIX failed (exit ${install.status}):\n${install.stdout}\n${install.stderr}`);
  }
  const installed = readdirSync(extensionsDir).find((d) => d.startsWith('gla-studio.gla-studio-'));
  if (!installed) throw new Error(`e2e: the VSIX installed nothing into ${extensionsDir}`);
  const sandbox: Sandbox = {
    root,
    userDataDir,
    extensionsDir,
    extensionDir: join(extensionsDir, installed),
    workspace,
    env,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
  writeUserSettings(sandbox, {
    'workbench.startupEditor': 'none',
    'workbench.colorTheme': THEMES[options.theme ?? 'light'],
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'chat.commandCenter.enabled': false,
    'chat.disableAIFeatures': true,
    'editor.minimap.enabled': false,
    'window.commandCenter': false,
    'files.simpleDialog.enable': true,
    // Trusted unless the test asks for Restricted Mode; then no start-up prompt, the workspace just stays untrusted.
    'security.workspace.trust.enabled': options.trusted === false,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
    ...options.settings,
  });
  return sandbox;
}

/** Merges settings into the sandbox's user settings.json (code-server picks up changes while it runs). */
export function writeUserSettings(sandbox: Sandbox, settings: Record<string, unknown>): void {
  const file = join(sandbox.userDataDir, 'User', 'settings.json');
  mkdirSync(join(sandbox.userDataDir, 'User'), { recursive: true });
  const current = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...current, ...settings }, null, 2));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** code-server on 127.0.0.1, in its own process group so that stop() ends it and its children by its PID. */
export class CodeServer {
  private output = '';
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', () => (this.exited = true));
    running.add(this);
  }

  static async start(sandbox: Sandbox): Promise<CodeServer> {
    const port = await freePort();
    const args = [
      codeServerEntry,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      '--user-data-dir', sandbox.userDataDir,
      '--extensions-dir', sandbox.extensionsDir,
    ];
    const child = spawn(process.execPath, args, { env: sandbox.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new CodeServer(child, port);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (server.exited) throw new Error(`e2e: code-server exited at start:\n${server.output}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (ok) return server;
      await sleep(250);
    }
    await server.stop();
    throw new Error(`e2e: code-server did not answer on port ${port} within 60 s:\n${server.output}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get log(): string {
    return this.output;
  }

  url(folder: string): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(folder)}`;
  }

  /** SIGTERM to the process group (code-server, its extension host, our worker), then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    running.delete(this);
    if (this.exited) return;
    killGroup(this.pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (!this.exited && Date.now() < deadline) await sleep(100);
    if (!this.exited) killGroup(this.pid, 'SIGKILL');
  }
}

const running = new Set<CodeServer>();
// Last resort when a test process dies between start() and stop(): no code-server outlives the tests.
process.on('exit', () => {
  for (const s of running) killGroup(s.pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** The GLA output channel's log file in the sandbox (VS Code writes LogOutputChannels to disk). */
export function glaLog(sandbox: Sandbox): string {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'GLA.log' && p.includes('gla-studio.gla-studio')) found.push(p);
    }
  };
  const logs = join(sandbox.userDataDir, 'logs');
  if (existsSync(logs)) walk(logs);
  return found.map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** The extension's worker processes (dist/server.js of the installed extension), by PID. */
export function workerPids(sandbox: Sandbox): number[] {
  const server = join(sandbox.extensionDir, 'dist', 'server.js');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(join('/proc', entry, 'cmdline'), 'utf8').split('\0');
      if (args.includes(server)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await sleep(200);
  }
  throw new Error(`e2e: timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
