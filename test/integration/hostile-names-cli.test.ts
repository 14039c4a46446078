// A dataset whose class and file names are a formula and an ANSI escape: predictions.csv is safe to open in a
// spreadsheet, gla reads it back exactly, and the terminal summary shows the escape escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseCsv } from '../../server/src/store/csv';
import { cliPath, generatedFixtures } from '../helpers/paths';

const datasets = generatedFixtures('analyze-datasets');
const model = join(generatedFixtures('models'), 'tiny-clip');
const FORMULA_CLASS = '=HYPERLINK(x)';
const ESC_FILE = 'red\x1b[31m.png';

test('a class named like a formula and a file name with an ANSI escape', () => {
  const cache = mkdtempSync(join(tmpdir(), 'gla-cache-'));
  const work = mkdtempSync(join(tmpdir(), 'gla-work-'));
  const dataset = join(work, 'data');
  cpSync(join(datasets, 'imagefolder'), dataset, { recursive: true });
  for (const split of ['train', 'val', 'test']) renameSync(join(dataset, split, 'red circle'), join(dataset, split, FORMULA_CLASS));
  const folder = join(dataset, 'train', FORMULA_CLASS);
  const image = readdirSync(folder).find((f) => /^train-.*\.png$/.test(f))!;
  renameSync(join(folder, image), join(folder, ESC_FILE));
  // The unreadable files too, so the summary's "skipped, e.g. …" line names one.
  const bad = (JSON.parse(readFileSync(join(datasets, 'imagefolder.json'), 'utf8')) as { bad: string[] }).bad;
  for (const path of bad.map((p) => join(dataset, p.replace('red circle', FORMULA_CLASS)))) renameSync(path, join(dirname(path), `\x1b[31m${basename(path)}`));

  const r = spawnSync(process.execPath, [cliPath, 'analyze', dataset, '--model', model, '--out', join(work, 'run')], {
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, GLA_CACHE_DIR: cache },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!r.stdout.includes('\x1b') && !r.stderr.includes('\x1b'), JSON.stringify(r.stdout));
  assert.match(r.stdout, /=HYPERLINK\(x\)/, 'the class is named in the summary');
  assert.match(r.stdout, /skipped, e\.g\. .*\\x1b\[31m/, 'the escape is shown escaped');

  const text = readFileSync(join(work, 'run', 'predictions.csv'), 'utf8');
  // The cells a spreadsheet sees, split by RFC 4180 alone: none starts with '='.
  const cells = text.match(/"(?:[^"]|"")*"|[^,\r\n]+/g)!.map((c) => (c.startsWith('"') ? c.slice(1, -1).replace(/""/g, '"') : c));
  assert.ok(cells.some((c) => c === `'${FORMULA_CLASS}`), 'the class is written defused');
  assert.deepEqual(cells.filter((c) => c.startsWith('=')), []);
  // gla's reader undoes the defusing.
  const [header, ...rows] = parseCsv(text);
  const given = header.indexOf('given');
  assert.ok(rows.some((row) => row[given] === FORMULA_CLASS));
  assert.ok(rows.some((row) => row[0] === `train/${FORMULA_CLASS}/${ESC_FILE}`), 'the escape is kept as is in the CSV');
  const report = JSON.parse(readFileSync(join(work, 'run', 'report.json'), 'utf8'));
  assert.ok(report.classes.some((c: { name: string }) => c.name === FORMULA_CLASS));
});
