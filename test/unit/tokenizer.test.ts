// CLIP's BPE tokenizer against ids from the reference Python tokenizer (test/fixtures/tokenizer/generate.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generatedFixtures, sharedDir } from '../helpers/paths';
import { UserError } from '../../server/src/errors';
import {
  LETTER_CLASS,
  NUMBER_CLASS,
  OTHER_CLASS,
  type ClipTokenizer,
  loadTokenizer,
  splitCleanText,
  toInputIds,
} from '../../server/src/clip/text/tokenizer';
import { REGEX_WHITESPACE, cleanClipText, pythonStrip } from '../../server/src/clip/text/text-cleanup';
import { fixText } from '../../server/src/clip/text/text-fixes';
import { ftfyUnescapeHtml, pythonHtmlUnescape } from '../../server/src/clip/text/html-unescape';

interface Case {
  name: string;
  text: string;
  ids: number[];
  tokens: number[];
  count: number;
  decoded: string;
  fixed?: string;
  prefixDecodes?: string[];
}
interface Table {
  contextLength: number;
  startOfText: number;
  endOfText: number;
  vocabSize: number;
  cases: Case[];
}

const fixtures = generatedFixtures('tokenizer');
const readJson = <T>(name: string): T => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as T;
const reference = readJson<Table>('reference.json');
const ftfyTable = readJson<Table>('ftfy.json');
const fuzz = readJson<Table>('fuzz.json');
const openAiVocabulary = join(sharedDir, 'clip', 'bpe_simple_vocab_16e6.txt.gz');

// Every way of pointing at tokenizer files; the small Hugging Face ones hold only the merges the tables need.
const LOADERS: Array<[string, string]> = [
  ['OpenAI .txt.gz', openAiVocabulary],
  ['vocab.json + merges.txt folder', join(fixtures, 'hf-vocab')],
  ['vocab.json file', join(fixtures, 'hf-vocab', 'vocab.json')],
  ['merges.txt file', join(fixtures, 'hf-vocab', 'merges.txt')],
  ['tokenizer.json folder ("a b" merges)', join(fixtures, 'hf-json')],
  ['tokenizer.json file', join(fixtures, 'hf-json', 'tokenizer.json')],
  ['model folder with tokenizer/tokenizer.json ([a, b] merges)', join(fixtures, 'hf-json-pairs')],
];

function check(tokenizer: ClipTokenizer, c: Case): void {
  const label = `${c.name} ${JSON.stringify(c.text).slice(0, 60)}`;
  assert.deepEqual(tokenizer.encode(c.text), c.ids, `encode ${label}`);
  assert.deepEqual(tokenizer.tokenize(c.text), c.tokens, `tokenize ${label}`);
  assert.equal(tokenizer.countTokens(c.text), c.count, `countTokens ${label}`);
}

for (const [name, path] of LOADERS) {
  test(`${name}: reference and ftfy tables match the Python ids`, async () => {
    const tokenizer = await loadTokenizer(path);
    assert.equal(tokenizer.startOfText, reference.startOfText);
    assert.equal(tokenizer.endOfText, reference.endOfText);
    assert.equal(tokenizer.vocabSize, reference.vocabSize);
    for (const c of [...reference.cases, ...ftfyTable.cases]) check(tokenizer, c);
  });
}

test('OpenAI vocabulary: seeded random strings match the Python ids', async () => {
  const tokenizer = await loadTokenizer(openAiVocabulary);
  assert.ok(fuzz.cases.length >= 100);
  for (const c of fuzz.cases) check(tokenizer, c);
});

test('an already gunzipped OpenAI vocabulary loads too, as a file or in a folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gla-tokenizer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'bpe_simple_vocab_16e6.txt'), gunzipSync(readFileSync(openAiVocabulary)));
  for (const path of [dir, join(dir, 'bpe_simple_vocab_16e6.txt')]) {
    const tokenizer = await loadTokenizer(path);
    for (const c of reference.cases) check(tokenizer, c);
  }
});

test('decode matches the reference decode, cut-off UTF-8 included', async () => {
  const tokenizer = await loadTokenizer(openAiVocabulary);
  let replaced = 0;
  for (const c of [...reference.cases, ...ftfyTable.cases, ...fuzz.cases]) {
    assert.equal(tokenizer.decode(c.ids), c.decoded, c.name);
    for (const [k, expected] of (c.prefixDecodes ?? []).entries()) {
      assert.equal(tokenizer.decode(c.ids.slice(0, k)), expected, `${c.name} first ${k} ids`);
      if (expected.includes('\ufffd') && !c.decoded.includes('\ufffd')) replaced++;
    }
  }
  assert.ok(replaced > 0, 'some prefix should end inside a UTF-8 sequence');
  assert.throws(() => tokenizer.decode([reference.vocabSize]), UserError);
});

test('byte-level round trip: decoding the ids gives back the split text', async () => {
  const tokenizer = await loadTokenizer(openAiVocabulary);
  for (const c of [...reference.cases, ...ftfyTable.cases, ...fuzz.cases]) {
    const pieces = splitCleanText(cleanClipText(c.text));
    const decoded = tokenizer.decode(tokenizer.encode(c.text));
    assert.equal(decoded.replace(/ /g, ''), pieces.join('').replace(/ /g, ''), c.name);
  }
});

test('truncation keeps the first ids and puts the end token last', async () => {
  const tokenizer = await loadTokenizer(openAiVocabulary);
  const byName = new Map(reference.cases.map((c) => [c.name, c]));
  const fits = byName.get('length-75')!;
  assert.equal(fits.count, 77);
  assert.deepEqual(tokenizer.tokenize(fits.text), [tokenizer.startOfText, ...fits.ids, tokenizer.endOfText]);
  for (const name of ['length-76', 'long-sentence', 'long-words', 'long-digits']) {
    const c = byName.get(name)!;
    assert.ok(c.count > 77, name);
    const tokens = tokenizer.tokenize(c.text);
    assert.equal(tokens.length, 77);
    assert.equal(tokens[76], tokenizer.endOfText);
    assert.deepEqual(tokens.slice(0, 76), [tokenizer.startOfText, ...c.ids.slice(0, 75)]);
    assert.equal(tokenizer.countTokens(c.text), c.ids.length + 2, 'countTokens does not truncate');
  }
  const short = tokenizer.tokenize(byName.get('ascii-pangram')!.text, 5);
  assert.deepEqual(short, [tokenizer.startOfText, ...byName.get('ascii-pangram')!.ids.slice(0, 3), tokenizer.endOfText]);
  assert.deepEqual(tokenizer.tokenize('', 2), [tokenizer.startOfText, tokenizer.endOfText]);
  assert.throws(() => tokenizer.tokenize('x', 1), UserError);
  assert.throws(() => tokenizer.tokenize('x', 7.5), UserError);
});

test('toInputIds pads with 0 and masks the real tokens', async () => {
  const tokenizer = await loadTokenizer(join(fixtures, 'hf-json'));
  const cases = ['ascii-prompt', 'empty', 'long-sentence'].map((n) => reference.cases.find((c) => c.name === n)!);
  const { inputIds, attentionMask } = toInputIds(tokenizer, cases.map((c) => c.text));
  assert.equal(inputIds.length, 3 * 77);
  assert.equal(attentionMask.length, 3 * 77);
  cases.forEach((c, row) => {
    const ids = Array.from(inputIds.subarray(row * 77, (row + 1) * 77), Number);
    const mask = Array.from(attentionMask.subarray(row * 77, (row + 1) * 77), Number);
    assert.deepEqual(ids, [...c.tokens, ...new Array(77 - c.tokens.length).fill(0)], c.name);
    assert.deepEqual(mask, [...c.tokens.map(() => 1), ...new Array(77 - c.tokens.length).fill(0)], c.name);
  });
  const narrow = toInputIds(tokenizer, [cases[2].text], 16);
  assert.equal(narrow.inputIds.length, 16);
  assert.equal(narrow.inputIds[15], BigInt(tokenizer.endOfText));
  assert.equal(toInputIds(tokenizer, []).inputIds.length, 0);
});

test('ftfy re-statement: fix_text results and HTML unescaping match Python', () => {
  for (const c of [...ftfyTable.cases, ...fuzz.cases]) assert.equal(fixText(c.text), c.fixed, c.name);
  const unescapes = readJson<Array<{ input: string; python: string; ftfy: string }>>('html-unescape.json');
  assert.ok(unescapes.length > 2000);
  for (const u of unescapes) {
    assert.equal(pythonHtmlUnescape(u.input), u.python, `html.unescape(${JSON.stringify(u.input)})`);
    assert.equal(ftfyUnescapeHtml(u.input), u.ftfy, `ftfy unescape_html(${JSON.stringify(u.input)})`);
  }
});

interface CharClasses {
  whitespace: number[];
  isspace: number[];
  letter: Array<[number, number]>;
  number: Array<[number, number]>;
  other: Array<[number, number]>;
  unassigned: Array<[number, number]>;
  caseless: Record<string, number[]>;
}

function membership(ranges: Array<[number, number]>): Uint8Array {
  const set = new Uint8Array(0x110000);
  for (const [a, b] of ranges) set.fill(1, a, b + 1);
  return set;
}

test('split pattern classes match the regex module on every assigned code point', () => {
  const classes = readJson<CharClasses>('char-classes.json');
  const unassigned = membership(classes.unassigned);
  const whitespace = new RegExp(`[${REGEX_WHITESPACE}]`, 'u');
  const expectedWhitespace = new Set(classes.whitespace);
  const checks: Array<[string, RegExp, Uint8Array]> = [
    ['letter', new RegExp(LETTER_CLASS, 'u'), membership(classes.letter)],
    ['number', new RegExp(NUMBER_CLASS, 'u'), membership(classes.number)],
    ['other', new RegExp(OTHER_CLASS, 'u'), membership(classes.other)],
  ];
  const mismatches: string[] = [];
  let newerUnicode = 0;
  for (let cp = 0; cp < 0x110000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    if (whitespace.test(ch) !== expectedWhitespace.has(cp)) mismatches.push(`whitespace U+${cp.toString(16)}`);
    for (const [name, re, expected] of checks) {
      if (re.test(ch) === (expected[cp] === 1)) continue;
      // Characters added to Unicode after the regex module's tables are unassigned there: not a divergence.
      if (unassigned[cp]) newerUnicode++;
      else mismatches.push(`${name} U+${cp.toString(16)}`);
    }
  }
  const isspace = new Set(classes.isspace);
  for (let cp = 0; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if ((pythonStrip(String.fromCharCode(cp)) === '') !== isspace.has(cp)) mismatches.push(`isspace U+${cp.toString(16)}`);
  }
  assert.ok(isspace.has(0x1c) && !expectedWhitespace.has(0x1c), 'str.strip and regex \\s differ on U+001C');
  assert.deepEqual(mismatches, []);
  assert.ok(newerUnicode < 20000, `${newerUnicode} differences on code points unassigned in the regex module`);

  // Case-insensitive contractions: "'" + c is one piece exactly when c matches s, t, m or d ignoring case (ſ too),
  // or when c is punctuation that joins the apostrophe's run.
  const contraction = new Set(['s', 't', 'm', 'd'].flatMap((l) => classes.caseless[l]));
  assert.ok(contraction.has(0x17f) && contraction.has(0x53));
  const other = new RegExp(`^${OTHER_CLASS}$`, 'u');
  const wrong: string[] = [];
  for (let cp = 0; cp < 0x110000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const ch = String.fromCodePoint(cp);
    const pieces = splitCleanText("'" + ch);
    const joined = pieces.length === 1 && pieces[0] === "'" + ch;
    if (joined !== (contraction.has(cp) || other.test(ch))) wrong.push(`U+${cp.toString(16)}`);
  }
  assert.deepEqual(wrong, []);
});

test('loader errors are one clear line naming what was looked for', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gla-tokenizer-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const missing = join(dir, 'nope.txt.gz');
  await assert.rejects(loadTokenizer(missing), (e: Error) => e instanceof UserError && e.message.includes(missing));
  await assert.rejects(
    loadTokenizer(dir),
    (e: Error) => e instanceof UserError && /vocab\.json \+ merges\.txt, tokenizer\.json or bpe_simple_vocab_16e6\.txt\.gz/.test(e.message),
  );
  const onlyVocab = join(dir, 'only-vocab');
  mkdirSync(onlyVocab);
  writeFileSync(join(onlyVocab, 'vocab.json'), '{}');
  await assert.rejects(loadTokenizer(join(onlyVocab, 'vocab.json')), (e: Error) => e instanceof UserError && e.message.includes('merges.txt'));
  const badJson = join(dir, 'tokenizer.json');
  writeFileSync(badJson, '{"model": ');
  await assert.rejects(loadTokenizer(badJson), (e: Error) => e instanceof UserError && e.message.includes('not valid JSON'));
  writeFileSync(badJson, JSON.stringify({ model: { type: 'WordPiece', vocab: {} } }));
  await assert.rejects(loadTokenizer(badJson), (e: Error) => e instanceof UserError && e.message.includes('BPE'));
  writeFileSync(badJson, JSON.stringify({ model: { type: 'BPE', vocab: { a: 0 }, merges: [] } }));
  await assert.rejects(loadTokenizer(badJson), (e: Error) => e instanceof UserError && e.message.includes('<|startoftext|>'));
  const notGzip = join(dir, 'bpe_simple_vocab_16e6.txt.gz');
  writeFileSync(notGzip, 'plain text, not gzip');
  await assert.rejects(loadTokenizer(notGzip), (e: Error) => e instanceof UserError && e.message.includes(`${notGzip}: not a gzip file`));
  for (const path of [missing, dir, badJson, notGzip]) {
    const err = await loadTokenizer(path).then(() => undefined, (e: Error) => e);
    assert.ok(err && !err.message.includes('\n'), `one line for ${path}`);
  }
});
