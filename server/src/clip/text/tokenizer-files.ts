// Finding and reading CLIP tokenizer files in the three forms model folders bring: OpenAI's
// bpe_simple_vocab_16e6.txt.gz, Hugging Face's vocab.json + merges.txt, or a tokenizers tokenizer.json.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError, describeError } from '../../errors';
import { byteToCharacter, bytesInVocabularyOrder } from './byte-pair-encoding';

export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';
export const OPENAI_VOCABULARY_FILE = 'bpe_simple_vocab_16e6.txt.gz';

/** Everything the BPE tokenizer needs, whatever file it came from. */
export interface TokenizerFiles {
  /** The file(s) read, for messages. */
  source: string;
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
  startOfText: number;
  endOfText: number;
  /** Id for a symbol missing from the vocabulary (Hugging Face's unk_token, `<|endoftext|>` for CLIP). */
  unknown: number;
  endOfWordSuffix: string;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read tokenizer file ${path}: ${describeError(err)}`);
  }
}

async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`tokenizer file ${path} is not valid JSON: ${describeError(err)}`);
  }
}

function specialIds(vocab: Map<string, number>, source: string, added: Map<string, number> = new Map()) {
  const startOfText = added.get(START_OF_TEXT) ?? vocab.get(START_OF_TEXT);
  const endOfText = added.get(END_OF_TEXT) ?? vocab.get(END_OF_TEXT);
  if (startOfText === undefined || endOfText === undefined) {
    throw new UserError(`tokenizer ${source} has no ${START_OF_TEXT} / ${END_OF_TEXT} tokens; is it a CLIP tokenizer?`);
  }
  return { startOfText, endOfText };
}

/**
 * OpenAI's merges file, gzipped as shipped or already gunzipped: merges are lines 2..48895, and the vocabulary is
 * built from them as simple_tokenizer.py does.
 */
export async function readOpenAiVocabulary(path: string): Promise<TokenizerFiles> {
  let text: string;
  try {
    const raw = await readFile(path);
    const gzipped = raw[0] === 0x1f && raw[1] === 0x8b;
    if (!gzipped && path.endsWith('.gz')) throw new Error('not a gzip file');
    text = (gzipped ? gunzipSync(raw) : raw).toString('utf8');
  } catch (err) {
    throw new UserError(`cannot read CLIP vocabulary ${path}: ${describeError(err)}`);
  }
  // Ids follow line positions, so a malformed line is an error rather than skipped.
  const merges = text
    .split('\n')
    .slice(1, 49152 - 256 - 2 + 1)
    .filter((line, i, lines) => line !== '' || i < lines.length - 1)
    .map((line, i) => {
      const pair = line.split(' ');
      if (pair.length !== 2 || !pair[0] || !pair[1]) throw new UserError(`CLIP vocabulary ${path}: line ${i + 2} is not a merge`);
      return pair as [string, string];
    });
  if (merges.length === 0) throw new UserError(`CLIP vocabulary ${path} holds no merges`);
  const byteChars = byteToCharacter();
  const symbols = bytesInVocabularyOrder().map((b) => byteChars[b]);
  const tokens = [...symbols, ...symbols.map((s) => s + '</w>'), ...merges.map(([a, b]) => a + b), START_OF_TEXT, END_OF_TEXT];
  const vocab = new Map<string, number>();
  tokens.forEach((token, id) => vocab.set(token, id));
  return { source: path, vocab, merges, ...specialIds(vocab, path), unknown: vocab.get(END_OF_TEXT)!, endOfWordSuffix: '</w>' };
}

function vocabFromObject(value: unknown, source: string): Map<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`tokenizer ${source}: the vocabulary is not an object of token → id`);
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(value)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new UserError(`tokenizer ${source}: id of '${token}' is not a non-negative integer`);
    vocab.set(token, id as number);
  }
  return vocab;
}

function parseMerge(entry: unknown, source: string): [string, string] {
  const pair = typeof entry === 'string' ? entry.split(' ') : entry;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((s) => typeof s === 'string' && s !== '')) {
    throw new UserError(`tokenizer ${source}: merge ${JSON.stringify(entry)} is not a pair of symbols`);
  }
  return [pair[0], pair[1]];
}

/** Hugging Face CLIPTokenizer files: vocab.json (token → id) and merges.txt ("#version" header, one "a b" a line). */
export async function readVocabAndMerges(vocabPath: string, mergesPath: string): Promise<TokenizerFiles> {
  const source = `${vocabPath} + ${basename(mergesPath)}`;
  const vocab = vocabFromObject(await readJson(vocabPath), vocabPath);
  const merges = (await readText(mergesPath))
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#version'))
    .map((line) => parseMerge(line, mergesPath));
  const special = specialIds(vocab, source);
  return { source, vocab, merges, ...special, unknown: special.endOfText, endOfWordSuffix: '</w>' };
}

/** A Hugging Face tokenizers file: model.vocab, model.merges ("a b" or [a, b]), special ids from added_tokens. */
export async function readTokenizerJson(path: string): Promise<TokenizerFiles> {
  const doc = (await readJson(path)) as { model?: Record<string, unknown>; added_tokens?: unknown };
  const model = doc?.model;
  if (typeof model !== 'object' || model === null) throw new UserError(`tokenizer ${path} has no "model" section`);
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new UserError(`tokenizer ${path} is a ${String(model.type)} tokenizer; CLIP needs BPE`);
  }
  const vocab = vocabFromObject(model.vocab, path);
  if (!Array.isArray(model.merges)) throw new UserError(`tokenizer ${path} has no model.merges list`);
  const merges = model.merges.map((m) => parseMerge(m, path));
  const added = new Map<string, number>();
  if (Array.isArray(doc.added_tokens)) {
    for (const t of doc.added_tokens as Array<{ content?: unknown; id?: unknown }>) {
      if (typeof t?.content === 'string' && Number.isInteger(t.id)) added.set(t.content, t.id as number);
    }
  }
  const special = specialIds(vocab, path, added);
  const unkName = typeof model.unk_token === 'string' ? model.unk_token : END_OF_TEXT;
  const unknown = added.get(unkName) ?? vocab.get(unkName) ?? special.endOfText;
  const suffix = typeof model.end_of_word_suffix === 'string' ? model.end_of_word_suffix : '</w>';
  return { source: path, vocab, merges, ...special, unknown, endOfWordSuffix: suffix };
}

const LOOKED_FOR = `vocab.json + merges.txt, tokenizer.json or ${OPENAI_VOCABULARY_FILE} (also under tokenizer/)`;

/** Reads the tokenizer in a file, or the first one found in a model folder (then its tokenizer/ subfolder). */
export async function readTokenizerFiles(pathOrDir: string): Promise<TokenizerFiles> {
  const info = await stat(pathOrDir).catch(() => undefined);
  if (!info) throw new UserError(`tokenizer not found: ${pathOrDir} does not exist`);
  if (info.isDirectory()) {
    for (const dir of [pathOrDir, join(pathOrDir, 'tokenizer')]) {
      const vocab = join(dir, 'vocab.json');
      const merges = join(dir, 'merges.txt');
      if ((await isFile(vocab)) && (await isFile(merges))) return readVocabAndMerges(vocab, merges);
      if (await isFile(join(dir, 'tokenizer.json'))) return readTokenizerJson(join(dir, 'tokenizer.json'));
      for (const name of [OPENAI_VOCABULARY_FILE, OPENAI_VOCABULARY_FILE.replace(/\.gz$/, '')]) {
        if (await isFile(join(dir, name))) return readOpenAiVocabulary(join(dir, name));
      }
    }
    throw new UserError(`no CLIP tokenizer in ${pathOrDir}: looked for ${LOOKED_FOR}`);
  }
  const name = basename(pathOrDir);
  if (name.endsWith('.gz')) return readOpenAiVocabulary(pathOrDir);
  if (name.endsWith('.txt') && name !== 'merges.txt') return readOpenAiVocabulary(pathOrDir);
  if (name === 'merges.txt') {
    const vocab = join(dirname(pathOrDir), 'vocab.json');
    if (!(await isFile(vocab))) throw new UserError(`tokenizer merges ${pathOrDir} needs vocab.json beside it`);
    return readVocabAndMerges(vocab, pathOrDir);
  }
  if (name.endsWith('.json')) {
    if (name === 'vocab.json') {
      const merges = join(dirname(pathOrDir), 'merges.txt');
      if (!(await isFile(merges))) throw new UserError(`tokenizer vocabulary ${pathOrDir} needs merges.txt beside it`);
      return readVocabAndMerges(pathOrDir, merges);
    }
    return readTokenizerJson(pathOrDir);
  }
  throw new UserError(`${pathOrDir} is not a CLIP tokenizer file: expected ${LOOKED_FOR}`);
}
