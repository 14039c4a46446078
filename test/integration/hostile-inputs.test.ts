// Issue 9's hostile user, through the bundled CLI: nothing lost, nothing hangs, nothing silently wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../server/src/store/npy';
import { cliPath, generatedFixtures } from '../helpers/paths';
import { treeDigest } from '../helpers/tree-digest';

const datasets = generatedFixtures('analyze-datasets');
const model = join(generatedFixtures('models'), 'tiny-clip');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

// Root reads any folder; without these two capabilities it is held to the permission bits like any user.
const WITHOUT_DAC_OVERRIDE = ['setpriv', '--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];

function gla(cwd: string, cache: string, args: string[], options: { timeoutMs?: number; heldToPermissions?: boolean } = {}): Run {
  const started = Date.now();
  const command = options.heldToPermissions ? [...WITHOUT_DAC_OVERRIDE, process.execPath, cliPath] : [process.execPath, cliPath];
  const r = spawnSync(command[0], [...command.slice(1), ...args], {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, GLA_CACHE_DIR: cache, GLA_DEBUG: '' },
    timeout: options.timeoutMs ?? 120_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

/** A work folder with a copy of the 4-class, 15-image no-splits dataset at work/data. */
function fresh(): { work: string; cache: string; data: string } {
  const work = mkdtempSync(join(tmpdir(), 'gla-hostile-'));
  const cache = join(work, 'cache');
  const data = join(work, 'data');
  cpSync(join(datasets, 'no-splits'), data, { recursive: true });
  return { work, cache, data };
}

const report = (dir: string): any => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));

test('--out at the dataset, at a folder with notes, or at . is refused and every file there stays', () => {
  const { work, cache, data } = fresh();
  const notes = join(work, 'notes');
  mkdirSync(notes);
  writeFileSync(join(notes, 'ideas.txt'), 'my notes\n');
  const parent = treeDigest(work);
  for (const [out, cwd] of [[data, work], [notes, work], ['.', notes], [join(data, 'runs'), work]]) {
    const r = gla(cwd, cache, ['analyze', data, '--model', model, '--out', out]);
    assert.equal(r.status, 2, `${out}: ${r.stderr}`);
    assert.match(r.stderr, /--out .*(not an earlier GLA run|inside the dataset)/);
    assert.doesNotMatch(r.stderr, /internal error|EBUSY/);
  }
  rmSync(cache, { recursive: true, force: true });
  assert.equal(treeDigest(work), parent, 'nothing in the dataset or beside it changed');
});

test('--out at an earlier run folder replaces it; a folder with an extra file in it is refused', () => {
  const { work, cache, data } = fresh();
  const out = join(work, 'run');
  assert.equal(gla(work, cache, ['analyze', data, '--model', model, '--out', out]).status, 0);
  const first = report(out).createdAt;
  const again = gla(work, cache, ['analyze', data, '--model', model, '--out', out]);
  assert.equal(again.status, 0, again.stderr);
  assert.notEqual(report(out).createdAt, first, 'the earlier run was replaced');
  writeFileSync(join(out, 'my-notes.md'), 'keep me\n');
  const refused = gla(work, cache, ['analyze', data, '--model', model, '--out', out]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /my-notes\.md/);
  assert.equal(readFileSync(join(out, 'my-notes.md'), 'utf8'), 'keep me\n');
  assert.deepEqual(readdirSync(work).filter((n) => n.startsWith('.')), [], 'no temporary folder is left beside it');
});

test('a FIFO and /dev/zero behind image names are reported and the run finishes within a minute', () => {
  const { work, cache, data } = fresh();
  spawnSync('mkfifo', [join(work, 'pipe')]);
  symlinkSync(join(work, 'pipe'), join(data, 'red circle', 'y.jpg'));
  symlinkSync('/dev/zero', join(data, 'blue_square', 'zero.png'));
  const before = treeDigest(data);
  const r = gla(work, cache, ['analyze', data, '--model', model, '--out', join(work, 'run')], { timeoutMs: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.seconds < 60);
  const failed = report(join(work, 'run')).failed;
  assert.match(failed.find((f: any) => f.path === 'red circle/y.jpg')?.error ?? '', /not a regular file \(a FIFO/);
  assert.match(failed.find((f: any) => f.path === 'blue_square/zero.png')?.error ?? '', /not a regular file \(a character device/);
  assert.equal(treeDigest(data), before);
  // gla embed meets the same files.
  const e = gla(work, cache, ['embed', '--model', model, join(data, 'red circle', 'y.jpg'), join(data, 'blue_square'), '--out', join(work, 'emb')], { timeoutMs: 60_000 });
  assert.equal(e.status, 0, e.stderr);
  assert.equal(JSON.parse(readFileSync(join(work, 'emb.json'), 'utf8')).failed.length, 2);
});

test('a second Ctrl-C quits at once, and the first leaves no half-written run', async () => {
  const { work, cache, data } = fresh();
  // A dataset that takes a while: many copies of its images, so the interrupt lands mid-run.
  for (let k = 0; k < 20; k++) cpSync(join(datasets, 'no-splits', 'red circle'), join(data, 'red circle', `copy-${k}`), { recursive: true });
  const child = spawn(process.execPath, [cliPath, 'analyze', data, '--model', model, '--out', join(work, 'run')], { cwd: work, env: { ...process.env, GLA_CACHE_DIR: cache } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve) => child.stderr.on('data', () => /embedding|encoding/.test(stderr) && resolve()));
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  child.kill('SIGINT');
  child.kill('SIGINT');
  const sent = Date.now();
  const { code, signal, at } = await exited;
  assert.ok(at - sent < 3000, `exited ${at - sent} ms after the second Ctrl-C`);
  assert.ok(signal === 'SIGINT' || code === 130, `code ${code}, signal ${signal}`);
  assert.equal(existsSync(join(work, 'run')), false, 'no half-written run');
});

test('an unreadable class folder and a broken link are reported; a symlinked class folder is followed', () => {
  const { work, cache, data } = fresh();
  const elsewhere = join(work, 'elsewhere');
  renameSync(join(data, 'yellow star'), elsewhere);
  symlinkSync(elsewhere, join(data, 'yellow star'));
  mkdirSync(join(data, 'red circle', 'locked'));
  cpSync(join(data, 'red circle', '0.png'), join(data, 'red circle', 'locked', 'a.png'));
  chmodSync(join(data, 'red circle', 'locked'), 0o000);
  symlinkSync(join(work, 'missing.png'), join(data, 'blue_square', 'gone.png'));
  // A loop: a folder inside a class that links back to the class.
  symlinkSync(join(data, 'blue_square'), join(data, 'blue_square', 'again'));
  const out = join(work, 'run');
  const r = gla(work, cache, ['analyze', data, '--model', model, '--out', out], { heldToPermissions: process.getuid?.() === 0 });
  assert.equal(r.status, 0, r.stderr);
  const rep = report(out);
  const failed = new Map(rep.failed.map((f: any) => [f.path, f.error]));
  assert.match(String(failed.get('red circle/locked')), /permission denied/);
  assert.match(String(failed.get('blue_square/gone.png')), /broken symbolic link/);
  assert.match(String(failed.get('blue_square/again')), /loop/);
  const star = rep.classes.find((c: any) => c.name === 'yellow star');
  assert.equal(star.support.train + star.support.val + star.support.test, 15, 'the linked class keeps all its images');
});

test('a gla.yaml whose folders all differ in case exits non-zero, as the language server marks it', () => {
  const { work, cache, data } = fresh();
  writeFileSync(join(data, 'gla.yaml'), 'classes:\n  - folder: Red Circle\n  - folder: Blue_Square\n  - folder: YELLOW STAR\n');
  const r = gla(work, cache, ['analyze', data, '--model', model, '--out', join(work, 'run')]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /none of the 3 class folders gla\.yaml lists exist/);
  assert.match(r.stderr, /case included/);
  assert.equal(existsSync(join(work, 'run')), false);
  // One typo among good names is the same error, with the folder that differs only in case named.
  writeFileSync(join(data, 'gla.yaml'), 'classes:\n  - folder: red circle\n  - folder: Blue_Square\n');
  const one = gla(work, cache, ['analyze', data, '--model', model, '--out', join(work, 'run')]);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /'Blue_Square' does not exist.*'blue_square' differs only in case/);
});

test('the CLI prints the manifest warnings the language server shows', () => {
  const { work, cache, data } = fresh();
  writeFileSync(join(data, 'gla.yaml'), `clases: [a, b]\nclasses:\n  - folder: red circle\n    prompt: ${'very '.repeat(80)}red circle\n  - folder: blue_square\n`);
  const r = gla(work, cache, ['analyze', data, '--model', model, '--out', join(work, 'run')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /warning: .*gla\.yaml:1:1: .*clases/);
  assert.match(r.stderr, /warning: .*gla\.yaml:4:\d+: .*tokens; CLIP reads only 77/);
});

test('an empty class folder leaves the other classes\' relative q unchanged', () => {
  const { work, cache, data } = fresh();
  const base = gla(work, cache, ['analyze', data, '--model', model, '--out', join(work, 'a'), '--json']);
  assert.equal(base.status, 0, base.stderr);
  mkdirSync(join(data, 'purple hexagon'));
  const withEmpty = gla(work, cache, ['analyze', data, '--model', model, '--out', join(work, 'b'), '--json']);
  assert.equal(withEmpty.status, 0, withEmpty.stderr);
  const centred = (r: any, names: string[]) => {
    const logs = names.map((n) => r.classes.find((c: any) => c.name === n).logPrior);
    const mean = logs.reduce((s: number, v: number) => s + v, 0) / logs.length;
    return logs.map((v: number) => v - mean);
  };
  const a = JSON.parse(base.stdout);
  const b = JSON.parse(withEmpty.stdout);
  const names = a.classes.map((c: any) => c.name);
  const [ca, cb] = [centred(a, names), centred(b, names)];
  for (let k = 0; k < names.length; k++) assert.ok(Math.abs(ca[k] - cb[k]) < 1e-6, `${names[k]}: ${ca[k]} vs ${cb[k]}`);
  assert.equal(b.prior.temperature, a.prior.temperature);
  const empty = b.classes.find((c: any) => c.name === 'purple hexagon');
  assert.equal(empty.priorEstimated, false);
  assert.ok(b.notes.some((n: string) => /no labelled image to fit q on/.test(n)));
});

test('two classes of one image each flag no label issue, and the report says why', () => {
  const work = mkdtempSync(join(tmpdir(), 'gla-hostile-'));
  const data = join(work, 'data');
  for (const cls of ['red circle', 'blue_square']) {
    mkdirSync(join(data, cls), { recursive: true });
    cpSync(join(datasets, 'no-splits', cls, '0.png'), join(data, cls, '0.png'));
  }
  // The fixture's other class's image under this name: a planted error that one image cannot reveal.
  cpSync(join(datasets, 'no-splits', 'red circle', '1.png'), join(data, 'blue_square', '1.png'));
  const r = gla(work, join(work, 'cache'), ['analyze', data, '--model', model, '--out', join(work, 'run'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  assert.deepEqual(rep.labelIssues, []);
  assert.ok(rep.notes.some((n: string) => /label issues: no image was checked.*fewer than 5 labelled images/.test(n)), rep.notes.join('\n'));
});

test('ensemble and evaluate refuse NaN and Inf as prior does', async () => {
  const work = mkdtempSync(join(tmpdir(), 'gla-hostile-'));
  const z = new Float32Array([1, 2, 3, NaN, 0, 1]);
  await writeNpy(join(work, 'z.npy'), { dtype: 'float32', shape: [3, 2], data: z });
  await writeNpy(join(work, 'inf.npy'), { dtype: 'float32', shape: [3, 2], data: new Float32Array([1, 2, Infinity, 0, 0, 1]) });
  await writeNpy(join(work, 'ok.npy'), { dtype: 'float32', shape: [3, 2], data: new Float32Array([1, 2, 3, 0, 0, 1]) });
  await writeNpy(join(work, 'y.npy'), { dtype: 'int32', shape: [3], data: new Int32Array([1, 0, 1]) });
  writeFileSync(join(work, 'q.json'), JSON.stringify({ prior: [0.5, 0.5] }));
  const cases = [
    ['ensemble', '--zeroshot', 'z.npy', '--finetuned', 'ok.npy', '--prior', 'q.json', '--out', 'out.npy'],
    ['ensemble', '--zeroshot', 'ok.npy', '--finetuned', 'inf.npy', '--prior', 'q.json', '--out', 'out.npy'],
    ['evaluate', '--logits', 'z.npy', '--labels', 'y.npy'],
    ['prior', '--logits', 'inf.npy', '--labels', 'y.npy'],
  ];
  for (const args of cases) {
    const r = gla(work, join(work, 'cache'), args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /contains (NaN|Infinity) at row \d, column \d; every value must be finite/);
  }
  assert.equal(existsSync(join(work, 'out.npy')), false);
});

test('a swap of two images with the same size and mtime changes their predictions', () => {
  const { work, cache, data } = fresh();
  // Same-size files: uncompressed BMPs of one size, one red and one blue.
  const bmp = (rgb: [number, number, number]): Buffer => {
    const w = 32, h = 32, row = w * 3, size = 54 + row * h;
    const b = Buffer.alloc(size);
    b.write('BM', 0, 'latin1');
    b.writeUInt32LE(size, 2);
    b.writeUInt32LE(54, 10);
    b.writeUInt32LE(40, 14);
    b.writeInt32LE(w, 18);
    b.writeInt32LE(h, 22);
    b.writeUInt16LE(1, 26);
    b.writeUInt16LE(24, 28);
    for (let p = 54; p < size; p += 3) [b[p], b[p + 1], b[p + 2]] = [rgb[2], rgb[1], rgb[0]];
    return b;
  };
  const red = join(data, 'red circle', 'swap.bmp');
  const blue = join(data, 'blue_square', 'swap.bmp');
  writeFileSync(red, bmp([230, 30, 30]));
  writeFileSync(blue, bmp([30, 30, 230]));
  const when = new Date('2024-01-02T03:04:05Z');
  for (const f of [red, blue]) utimesSync(f, when, when);
  const predictions = (out: string): Map<string, string> => {
    const lines = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n').slice(1);
    return new Map(lines.map((l) => l.split(',')).map((f) => [f[0], f[3]]));
  };
  assert.equal(gla(work, cache, ['analyze', data, '--model', model, '--out', join(work, 'a')]).status, 0);
  const before = predictions(join(work, 'a'));
  assert.notEqual(before.get('red circle/swap.bmp'), before.get('blue_square/swap.bmp'), 'the two images are told apart');
  const [a, b] = [readFileSync(red), readFileSync(blue)];
  writeFileSync(red, b);
  writeFileSync(blue, a);
  for (const f of [red, blue]) utimesSync(f, when, when);
  assert.equal(statSync(red).size, statSync(blue).size);
  assert.equal(gla(work, cache, ['analyze', data, '--model', model, '--out', join(work, 'b')]).status, 0);
  const after = predictions(join(work, 'b'));
  assert.equal(after.get('red circle/swap.bmp'), before.get('blue_square/swap.bmp'));
  assert.equal(after.get('blue_square/swap.bmp'), before.get('red circle/swap.bmp'));
});

test('leftovers of killed runs are cleaned on the next run; a live process\'s are kept', () => {
  const { work, cache, data } = fresh();
  const runs = join(work, 'runs');
  const dead = 2 ** 22 + 12345; // above Linux's default pid_max, so no process has it
  mkdirSync(join(runs, `.old-run.partial-${dead}`), { recursive: true });
  writeFileSync(join(runs, `.old-run.partial-${dead}`, 'report.json'), '{');
  mkdirSync(join(runs, `.live.partial-${process.pid}`));
  mkdirSync(join(cache, 'embeddings', 'abc', '12'), { recursive: true });
  writeFileSync(join(cache, 'embeddings', 'abc', '12', `.x.emb.tmp-${dead}-0a1b2c3d`), 'half');
  writeFileSync(join(runs, 'notes.partial-1'), 'a user file that only looks like one');
  const r = gla(work, cache, ['analyze', data, '--model', model, '--out', join(runs, 'new')]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(runs).sort(), [`.live.partial-${process.pid}`, 'new', 'notes.partial-1']);
  assert.equal(existsSync(join(cache, 'embeddings', 'abc', '12', `.x.emb.tmp-${dead}-0a1b2c3d`)), false);
});

test('small messages: no images at all, --batch-size 0, --shots 1.5', () => {
  const work = mkdtempSync(join(tmpdir(), 'gla-hostile-'));
  const data = join(work, 'data');
  mkdirSync(join(data, 'a'), { recursive: true });
  mkdirSync(join(data, 'b'));
  const empty = gla(work, join(work, 'cache'), ['analyze', data, '--model', model, '--out', join(work, 'run')]);
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /no images found in /);
  assert.doesNotMatch(empty.stderr, /undefined/);
  for (const [flag, value] of [['--batch-size', '0'], ['--shots', '1.5']]) {
    const r = gla(work, join(work, 'cache'), ['analyze', data, '--model', model, flag, value]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`${flag} must be a positive whole number, got '${value.replace('.', '\\.')}'`));
  }
  const embed = gla(work, join(work, 'cache'), ['embed', '--model', model, data, '--batch-size', '0', '--out', join(work, 'e')]);
  assert.equal(embed.status, 2);
  assert.match(embed.stderr, /--batch-size must be a positive whole number/);
});
