// ARCHITECTURE.md's invariants as tests: the import graph of server/src, client/src and media/src, read with the
// TypeScript parser, and the running language server's main thread. Every failure names the file and the import.
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers/paths';
import { LspTestClient, uriOf } from '../helpers/lsp-client';
import { SHAPES_MANIFEST, makeWorkspace } from '../helpers/lsp-workspace';

/** The one file allowed to import onnxruntime-node. */
const ONNX_HOME = 'server/src/clip/inference/onnx-runtime.ts';
/** The one file allowed to import sharp. */
const SHARP_HOME = 'server/src/clip/images/libvips.ts';
const NATIVE_PACKAGES = ['onnxruntime-node', 'sharp'];
const MAX_FILES_PER_FOLDER = 20;
const SOURCE_ROOTS = ['server/src', 'client/src', 'media/src'];

interface Import {
  /** The importing file, relative to the repository root with / separators. */
  file: string;
  line: number;
  specifier: string;
  /** A repository path for a relative specifier (resolved to its .ts file when it exists), else the package name. */
  target: string;
  /** `import type`, `export type`, `typeof import()`, or named imports that are all `type`: nothing loads at run time. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** 'vscode-languageserver/node' → 'vscode-languageserver', '@img/sharp-linux-x64/x' → '@img/sharp-linux-x64'. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function resolveTarget(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return packageName(specifier);
  const base = posix.normalize(posix.join(posix.dirname(file), specifier));
  const stem = base.replace(/\.js$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.d.ts`, `${stem}/index.ts`]) {
    const full = join(repoRoot, candidate);
    if (existsSync(full) && statSync(full).isFile()) return candidate;
  }
  return base;
}

function allNamedTypeOnly(bindings: ts.NamedImportBindings | ts.NamedExportBindings | undefined): boolean {
  return !!bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings)) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (node: ts.Node, literal: ts.Expression | undefined, typeOnly: boolean) => {
    if (!literal || !ts.isStringLiteralLike(literal)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ file, line, specifier: literal.text, target: resolveTarget(file, literal.text), typeOnly });
  };
  // Only top-level declarations import: an `export * from` inside `declare module '…' {}` (a .d.ts) only redirects types.
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      add(statement, statement.moduleSpecifier, !!clause && (clause.isTypeOnly || (!clause.name && allNamedTypeOnly(clause.namedBindings))));
    } else if (ts.isExportDeclaration(statement)) {
      add(statement, statement.moduleSpecifier, statement.isTypeOnly || allNamedTypeOnly(statement.exportClause));
    } else if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference)) {
      add(statement, statement.moduleReference.expression, statement.isTypeOnly);
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const dynamicImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const requireCall = ts.isIdentifier(callee) && callee.text === 'require';
      if (dynamicImport || requireCall) add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = SOURCE_ROOTS.flatMap(sourceFiles);
const imports = files.flatMap(importsOf);

function describe(i: Import): string {
  return `${i.file}:${i.line} imports '${i.specifier}'${i.typeOnly ? ' (type-only)' : ''}`;
}

/** Fails listing every offending import, with why the rule matters. */
function assertNone(offending: Import[] | string[], because: string): void {
  const lines = offending.map((o) => (typeof o === 'string' ? o : describe(o)));
  assert.equal(lines.length, 0, `${because}\n  ${lines.join('\n  ')}`);
}

const inside = (folder: string) => (path: string) => path.startsWith(`${folder}/`);
const isPackage = (i: Import, name: string) => !i.specifier.startsWith('.') && i.target === name;

test('the scan sees the sources and their imports (so the rules below cannot pass vacuously)', () => {
  assert.ok(files.includes('server/src/gla/prior.ts') && files.includes('client/src/extension.ts') && files.includes('media/src/panel.ts'));
  assert.ok(imports.some((i) => i.file === 'server/src/gla/prior.ts' && i.target === 'server/src/errors.ts' && !i.typeOnly));
  assert.ok(imports.some((i) => i.file === 'server/src/gla/prior-shift.ts' && i.target === 'server/src/gla/matrix.ts' && i.typeOnly));
  assert.ok(imports.some((i) => i.file === 'client/src/commands.ts' && i.target === 'client/src/commands/analyze-dataset.ts'), 'dynamic import()');
  assert.ok(NATIVE_PACKAGES.every((p) => imports.some((i) => isPackage(i, p))), 'native packages are seen');
});

test('gla/ imports only gla/ and errors.ts', () => {
  const gla = inside('server/src/gla');
  const bad = imports.filter((i) => gla(i.file) && !gla(i.target) && i.target !== 'server/src/errors.ts');
  assertNone(bad, 'because gla/ is the method as pure, deterministic functions: no I/O, no ONNX Runtime, no LSP, no clocks:');
});

// Type-only imports count here too: one file knowing onnxruntime-node's API keeps the addon's loading in one place.
for (const [name, home] of [['onnxruntime-node', ONNX_HOME], ['sharp', SHARP_HOME]]) {
  test(`only ${home} imports ${name}`, () => {
    const bad = imports.filter((i) => isPackage(i, name) && i.file !== home);
    assertNone(bad, `because one home for ${name} decides which thread loads the native addon, and nothing else can load it by accident:`);
  });
}

test('only server/src/store/parquet.ts imports the parquet libraries', () => {
  const bad = imports.filter((i) => ['hyparquet', 'hyparquet-compressors', 'hyparquet-writer'].some((p) => isPackage(i, p)) && i.file !== 'server/src/store/parquet.ts');
  assertNone(bad, 'because one file knowing the parquet library keeps the ESM-only packages and their API in one place:');
});

test('store/ imports nothing from clip/', () => {
  const bad = imports.filter((i) => inside('server/src/store')(i.file) && inside('server/src/clip')(i.target));
  assertNone(bad, 'because the cache is plain storage under the engine; reaching into clip/ drags models and native code under it:');
});

test('outside clip/models, its files are reached only through clip/models/index.ts (the extension: registry.ts too)', () => {
  const models = inside('server/src/clip/models');
  // The extension reads only the plain table of known ids, so its bundle stays free of the download code.
  const allowed = (i: Import) =>
    i.target === 'server/src/clip/models/index.ts' || (inside('client')(i.file) && i.target === 'server/src/clip/models/registry.ts');
  const bad = imports.filter((i) => !models(i.file) && models(i.target) && !allowed(i));
  assertNone(bad, 'because "id or folder → a ready model folder" is one request with one entry (resolveModel); callers never stitch registry, cache and download together:');
});

test('engine/ does not import protocol.ts', () => {
  const bad = imports.filter((i) => inside('server/src/engine')(i.file) && i.target === 'server/src/protocol.ts');
  assertNone(bad, 'because the engine takes and returns plain data and knows nothing of LSP; protocol.ts is the LSP wire format:');
});

test('only server.ts and lsp/ import vscode-languageserver', () => {
  const allowed = (f: string) => f === 'server/src/server.ts' || inside('server/src/lsp')(f);
  const bad = imports.filter((i) => isPackage(i, 'vscode-languageserver') && !allowed(i.file));
  assertNone(bad, 'because the engine, the CLI and protocol.ts must run without an LSP connection:');
});

test('only client/ imports vscode', () => {
  const bad = imports.filter((i) => isPackage(i, 'vscode') && !inside('client')(i.file));
  assertNone(bad, 'because the vscode module exists only inside the extension host; the server and the CLI run without it:');
});

const valueImports = new Map<string, Import[]>();
for (const i of imports) if (!i.typeOnly) valueImports.set(i.file, [...(valueImports.get(i.file) ?? []), i]);

/** The shortest chain of value imports from `start` to a native package (breadth-first), or undefined. */
function nativeChain(start: Import): string[] | undefined {
  const cameFrom = new Map<Import, Import | undefined>([[start, undefined]]);
  const seen = new Set<string>([start.target]);
  const queue = [start];
  for (let at = queue.shift(); at; at = queue.shift()) {
    if (NATIVE_PACKAGES.some((p) => isPackage(at!, p))) {
      const chain: string[] = [];
      for (let i: Import | undefined = at; i; i = cameFrom.get(i)) chain.unshift(i.target);
      return chain;
    }
    for (const next of valueImports.get(at.target) ?? []) {
      if (seen.has(next.target)) continue;
      seen.add(next.target);
      cameFrom.set(next, at);
      queue.push(next);
    }
  }
  return undefined;
}

test('client/ loads no native code, directly or through the server files it imports', () => {
  const bad: string[] = [];
  for (const i of imports) {
    // Type-only imports load nothing; a client-to-client import is reported where the chain leaves client/.
    if (!inside('client')(i.file) || i.typeOnly || inside('client')(i.target)) continue;
    const chain = nativeChain(i);
    if (chain) bad.push(chain.length > 1 ? `${describe(i)}, which loads ${chain.join(' → ')}` : describe(i));
  }
  assertNone(bad, 'because the extension host runs every extension in one process: a native addon crashing there takes them all down:');
});

test(`no folder under server/src holds more than ${MAX_FILES_PER_FOLDER} source files directly`, () => {
  const perFolder = new Map<string, number>();
  for (const f of files.filter(inside('server/src'))) perFolder.set(posix.dirname(f), (perFolder.get(posix.dirname(f)) ?? 0) + 1);
  const bad = [...perFolder].filter(([, n]) => n > MAX_FILES_PER_FOLDER).map(([dir, n]) => `${dir}/ holds ${n} files`);
  assertNone(bad, `because a folder is a module with one purpose: past ${MAX_FILES_PER_FOLDER} files it holds several, and should be split:`);
});

// Records every native addon (.node) loaded on the main thread; NODE_OPTIONS carries it into the server process.
const RECORDER = `
const { appendFileSync } = require('node:fs');
const { isMainThread } = require('node:worker_threads');
const log = process.env.GLA_NATIVE_LOG;
if (isMainThread && log) {
  appendFileSync(log, JSON.stringify({ pid: process.pid, start: true }) + '\\n');
  const dlopen = process.dlopen;
  process.dlopen = function (module, filename, ...rest) {
    appendFileSync(log, JSON.stringify({ pid: process.pid, file: filename }) + '\\n');
    return dlopen.call(this, module, filename, ...rest);
  };
}
`;

interface Loaded { pid: number; start?: boolean; file?: string }

function recorder(dir: string): { env: NodeJS.ProcessEnv; loaded: () => Loaded[] } {
  const script = join(dir, 'record-native.js');
  const log = join(dir, 'native.log');
  writeFileSync(script, RECORDER);
  const env = { GLA_NATIVE_LOG: log, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${script}`.trim() };
  const loaded = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Loaded) : []);
  return { env, loaded };
}

test('the recorder sees a native addon load (so the server check below can fail)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gla-native-'));
  try {
    const { env, loaded } = recorder(dir);
    const r = spawnSync(process.execPath, ['-e', "require('sharp')"], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(loaded().some((l) => l.file && /sharp/.test(l.file)), `sharp's addon was not recorded: ${JSON.stringify(loaded())}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the language server's main thread loads no native addon while it checks gla.yaml", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gla-native-'));
  const ws = makeWorkspace({ tokenizerInCache: true });
  const { env, loaded } = recorder(dir);
  const client = await LspTestClient.start({ workspace: ws.root, initializationOptions: { cacheDir: ws.cacheDir, trusted: true }, env });
  try {
    const manifest = join(ws.shapes, 'gla.yaml');
    writeFileSync(manifest, SHAPES_MANIFEST);
    await client.open(uriOf(manifest), SHAPES_MANIFEST);
    await client.waitForDiagnostics(uriOf(manifest), () => true);
  } finally {
    await client.stop();
    ws.remove();
  }
  try {
    const mine = loaded().filter((l) => l.pid === client.child.pid);
    assert.ok(mine.some((l) => l.start), `the recorder did not run in the server (pid ${client.child.pid}): ${JSON.stringify(loaded())}`);
    const addons = mine.flatMap((l) => (l.file ? [posix.relative(repoRoot, l.file.split('\\').join('/'))] : []));
    assertNone(addons, 'because a native addon on the main thread can block or crash the LSP loop; decoding and inference belong in worker threads:');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
