// A path,label[,split] CSV manifest: its format, and paths kept inside its folder unless the user allows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCsvManifest } from '../../server/src/dataset/csv-manifest';
import { csvLine } from '../../server/src/store/csv';

function manifest(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gla-csv-')), 'labels.csv');
  writeFileSync(file, text);
  return file;
}

test('a header in any order, comments, blank lines, a BOM, quoted fields with commas, quotes and line breaks', async () => {
  const file = manifest(
    [
      '\uFEFF# made by hand',
      'split , label, PATH',
      '',
      '  # an indented comment',
      'train,cat,a.jpg',
      ' val , "dog, big" , "b ""2"".jpg" ',
      'test,cat,"line',
      'break.jpg"',
      '   ',
      'train,dog,#hash.jpg',
      'train,=cat,\'=x.jpg',
      '',
    ].join('\r\n'),
  );
  assert.deepEqual(await readCsvManifest(file), [
    { path: 'a.jpg', label: 'cat', split: 'train', line: 5 },
    { path: 'b "2".jpg', label: 'dog, big', split: 'val', line: 6 },
    { path: 'line\r\nbreak.jpg', label: 'cat', split: 'test', line: 7 },
    { path: '#hash.jpg', label: 'dog', split: 'train', line: 10 },
    { path: '=x.jpg', label: '=cat', split: 'train', line: 11 },
  ]);
});

test('without a header: path,label[,split]; rows we wrote read back exactly', async () => {
  const names = ['=1+1.jpg', '+cmd.png', 'a,b.jpg', '"q".jpg', 'line\nbreak.jpg', "'=already.jpg", 'é中文.jpg'];
  const file = manifest(names.map((n, i) => csvLine([n, i % 2 ? '@label' : 'plain'])).join('\n') + '\n');
  const rows = await readCsvManifest(file);
  assert.deepEqual(rows.map((r) => r.path), names);
  assert.deepEqual(rows.map((r) => r.label), names.map((_, i) => (i % 2 ? '@label' : 'plain')));
  assert.deepEqual(rows.map((r) => r.line), [1, 2, 3, 4, 5, 7, 8]);
});

test('bad rows name the file and line', async () => {
  await assert.rejects(readCsvManifest(manifest('a.jpg,cat\nb.jpg\n')), (e: Error) => e.name === 'UserError' && /labels\.csv:2: expected path,label\[,split\]/.test(e.message));
  await assert.rejects(readCsvManifest(manifest('path,label,split\na.jpg,cat,training\n')), /labels\.csv:2: split must be train, val or test, got 'training'/);
  await assert.rejects(readCsvManifest(manifest('a.jpg,cat\n"b.jpg,dog\n')), /labels\.csv:\d+: not a valid CSV/);
  await assert.rejects(readCsvManifest(manifest('# only a comment\n\n')), /labels\.csv: no rows/);
  await assert.rejects(readCsvManifest(join(tmpdir(), 'gla-no-such', 'x.csv')), /cannot read .*ENOENT/);
});

test("paths that leave the CSV's folder are refused, unless allowed", async () => {
  const cases: [string, number, string][] = [
    ['a.jpg,cat\n../x.jpg,dog\n', 2, '../x.jpg'],
    ['# c\n/etc/passwd,cat\n', 2, '/etc/passwd'],
    ['ok/../../x.jpg,cat\n', 1, 'ok/../../x.jpg'],
    ['..,cat\n', 1, '..'],
  ];
  for (const [text, line, path] of cases) {
    const file = manifest(text);
    await assert.rejects(readCsvManifest(file), (e: Error) => {
      assert.equal(e.name, 'UserError');
      assert.ok(e.message.startsWith(`${file}:${line}: '${path}'`), e.message);
      assert.match(e.message, /paths in a CSV manifest must stay inside its folder; pass --allow-outside-paths to allow them/);
      return true;
    });
    const rows = await readCsvManifest(file, { allowOutside: true });
    assert.ok(rows.some((r) => r.path === path), 'allowed, the rows come back as written');
  }
  // Inside, even by a detour or a name that starts with dots.
  const rows = await readCsvManifest(manifest('sub/../a.jpg,cat\n..b.jpg,dog\n./c.jpg,cat\n'));
  assert.deepEqual(rows.map((r) => r.path), ['sub/../a.jpg', '..b.jpg', './c.jpg']);
});
