// Hostile class and file names survive our CSVs: defused for spreadsheets, and read back exactly by gla.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, csvLine, defuseFormula, parseCsv, restoreFormula } from '../../server/src/store/csv';
import { columnsFromLogits, predictionsCsv } from '../../server/src/engine/predictions-csv';
import * as panelCsv from '../../client/src/csv-text';

const HOSTILE = ['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx', '\rx', 'a,b', '"q"', 'line\nbreak', 'cr\r\nlf', "'=already", "''+twice", "'plain", 'normal', 'é中文', '=HYPERLINK("http://x","y")', ''];
/** A spreadsheet evaluates a cell that starts with one of these. */
const TRIGGER = /^[=+\-@\t\r]/;
/** Numbers run nothing: a field that is one may start with a sign. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The cells a spreadsheet shows, taken from the written text by RFC 4180 alone (no undoing of the defusing). */
function spreadsheetCells(text: string): string[] {
  const cells: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,\r\n]*)(,|\r\n|\n|\r|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && m[0] !== '') {
    cells.push(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1]);
    if (m[2] === '') break;
  }
  return cells;
}

test('every hostile name is written defused and read back equal', () => {
  for (const name of HOSTILE) {
    const text = csvLine([name, 'b']) + '\n';
    const cells = spreadsheetCells(text);
    assert.equal(cells.length, 2, JSON.stringify(text));
    assert.doesNotMatch(cells[0], TRIGGER, `${JSON.stringify(name)} is written as ${JSON.stringify(text)}`);
    assert.deepEqual(parseCsv(text), [[name, 'b']], JSON.stringify(name));
    assert.equal(restoreFormula(defuseFormula(name)), name);
  }
  // All of them in one file, as rows and as columns.
  const table = HOSTILE.map((n, i) => [n, String(i), n]);
  assert.deepEqual(parseCsv(table.map(csvLine).join('\n') + '\n'), table);
  assert.deepEqual(parseCsv(csvLine(HOSTILE)), [HOSTILE]);
});

test('a formula gets one leading quote; numbers and ordinary text are untouched', () => {
  assert.equal(csvField('=1+1'), "'=1+1");
  assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvField('\tx'), "'\tx");
  assert.equal(csvField('\rx'), `"'\rx"`, 'then RFC 4180 quoting');
  assert.equal(csvField('=a,b'), `"'=a,b"`);
  assert.equal(csvField("'=already"), "''=already", 'one more quote, so it reads back exactly');
  assert.equal(csvField("'plain"), "'plain");
  // Numbers we write stay numbers, whether given as numbers or as their text.
  for (const n of [-0.5, -1e-7, 0.123456, -Infinity]) assert.equal(csvField(n), String(n));
  for (const s of ['-0.5', '-2', '+1', '-1.5e-7', '0.123456', '.5']) assert.equal(csvField(s), s);
  assert.equal(csvField(null), '');
  assert.equal(csvField('é中文'), 'é中文');
});

test('the panel and the engine share one implementation', () => {
  assert.equal(panelCsv.csvField, csvField);
  assert.equal(panelCsv.parseCsv, parseCsv);
});

test('predictions.csv: hostile paths and class names round-trip, probabilities stay numbers', () => {
  const names = ['=HYPERLINK(x)', '-neg', 'plain'];
  const rows = [
    { path: 'train/=HYPERLINK(x)/a\x1b[31m.png', split: 'train', given: names[0] },
    { path: 'val/-neg/line\nbreak, "q".jpg', split: 'val', given: names[1] },
    { path: '@top.jpg', split: 'test', given: names[2] },
  ];
  const m = (data: number[]) => ({ rows: 3, cols: 3, data: Float32Array.from(data) });
  const logits = m([5, 0, 0, 0, 5, 0, 0, 0, 5]);
  const text = predictionsCsv(rows, names, columnsFromLogits({ zeroShot: logits, debiased: logits, finetuned: logits, ensemble: logits, gla: logits }));
  assert.ok(!/(^|,|\n)[=+\-@]/.test(text.replace(/"[^"]*"/g, '""')), 'no unquoted field starts with a trigger');
  const [header, ...read] = parseCsv(text);
  assert.deepEqual(header, ['path', 'split', 'given', 'zeroShot', 'debiased', 'finetuned', 'ensemble', 'gla', 'glaProbability', 'zeroShotProbability', 'debiasedProbability', 'finetunedProbability', 'ensembleProbability']);
  assert.deepEqual(read.map((r) => r[0]), rows.map((r) => r.path));
  assert.deepEqual(read.map((r) => r[2]), names);
  assert.deepEqual(read.map((r) => r[6]), names);
  assert.deepEqual(read.map((r) => r[7]), names);
  for (const r of read) for (const p of r.slice(8)) assert.match(p, /^0\.\d{6}$/);
});

test('reading is lenient: mixed line endings, a BOM, a stray or unclosed quote never throw', () => {
  assert.deepEqual(parseCsv(`${csvLine(['a\nb', 'c'])}\r\nd,e\n`), [['a\nb', 'c'], ['d', 'e']]);
  assert.deepEqual(parseCsv('\uFEFFa,b\rc,d'), [['a', 'b'], ['c', 'd']]);
  assert.deepEqual(parseCsv('a,my"file\n'), [['a', 'my"file']]);
  assert.deepEqual(parseCsv(''), []);
  assert.doesNotThrow(() => parseCsv('a,b\nc,"d\ne\n'));
  assert.doesNotThrow(() => parseCsv('"a"x,"b\n"'));
});
