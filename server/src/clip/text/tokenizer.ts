// CLIP's BPE tokenizer, exact to OpenAI's simple_tokenizer.py and clip.tokenize(truncate=True).
import { UserError } from '../../errors';
import { applyMerges, fromByteSymbols, mergeRanks, toByteSymbols } from './byte-pair-encoding';
import { REGEX_WHITESPACE, cleanClipText } from './text-cleanup';
import { END_OF_TEXT, START_OF_TEXT, type TokenizerFiles, readTokenizerFiles } from './tokenizer-files';

/** CLIP's text context: every text model takes 77 ids. */
export const CONTEXT_LENGTH = 77;

export interface ClipTokenizer {
  readonly startOfText: number;
  readonly endOfText: number;
  /** One more than the largest id. */
  readonly vocabSize: number;
  /** BPE ids of the cleaned text, without start/end tokens. */
  encode(text: string): number[];
  /** Start … end of text, cut to contextLength (≥ 2) with the end token kept last; not padded. */
  tokenize(text: string, contextLength?: number): number[];
  /** Ids the text needs including start and end, before any truncation (more than 77 means CLIP cuts it). */
  countTokens(text: string): number;
  /** The reference's decode: the text the ids spell, with a space after each word. */
  decode(ids: readonly number[]): string;
}

// The reference compiles its pattern with re.IGNORECASE. Under the `regex` module that makes the literal 's' also
// match 'ſ' (U+017F), and U+0345 (which case-folds to a letter) match none of the classes, so it is dropped.
// JavaScript's /i would treat U+0345 as a letter, so case is spelled out instead and the flag left off.
const CASE_VARIANTS: Record<string, string> = { s: 'sS\u017f' };

function caseless(literal: string): string {
  return Array.from(literal, (ch) => {
    if (/[a-z]/.test(ch)) return `[${CASE_VARIANTS[ch] ?? ch + ch.toUpperCase()}]`;
    return ch.replace(/[|\\^$.*+?()[\]{}]/g, '\\$&');
  }).join('');
}

/** The split pattern's three classes, by themselves (exported so tests can check them against the reference). */
export const LETTER_CLASS = '[\\p{L}]';
export const NUMBER_CLASS = '[\\p{N}]';
export const OTHER_CLASS = `[^${REGEX_WHITESPACE}\\p{L}\\p{N}\\u0345]`;

const LITERALS = [START_OF_TEXT, END_OF_TEXT, "'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

/** r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.I */
export const CLIP_SPLIT_PATTERN = new RegExp(
  [...LITERALS.map(caseless), `${LETTER_CLASS}+`, NUMBER_CLASS, `${OTHER_CLASS}+`].join('|'),
  'gu',
);

/** The pre-tokens the reference's re.findall yields for already-cleaned text. */
export function splitCleanText(cleaned: string): string[] {
  return cleaned.match(CLIP_SPLIT_PATTERN) ?? [];
}

// The BPE cache holds per-word ids; cleared when full so a long-running server stays bounded.
const CACHE_LIMIT = 100_000;

class BpeClipTokenizer implements ClipTokenizer {
  readonly startOfText: number;
  readonly endOfText: number;
  readonly vocabSize: number;
  private readonly vocab: Map<string, number>;
  private readonly ranks: Map<string, number>;
  private readonly unknown: number;
  private readonly suffix: string;
  private readonly cache = new Map<string, readonly number[]>();
  private decoder: Map<number, string> | undefined;

  constructor(files: TokenizerFiles) {
    this.vocab = files.vocab;
    this.ranks = mergeRanks(files.merges);
    this.startOfText = files.startOfText;
    this.endOfText = files.endOfText;
    this.unknown = files.unknown;
    this.suffix = files.endOfWordSuffix;
    let maxId = Math.max(files.startOfText, files.endOfText);
    for (const id of files.vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
  }

  private wordIds(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let ids: number[];
    // The reference seeds its BPE cache with the two special tokens, so typed ones map to their ids.
    if (word === START_OF_TEXT) ids = [this.startOfText];
    else if (word === END_OF_TEXT) ids = [this.endOfText];
    else ids = applyMerges(word, this.ranks, this.suffix).map((s) => this.vocab.get(s) ?? this.unknown);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of splitCleanText(cleanClipText(text))) {
      for (const id of this.wordIds(toByteSymbols(piece))) ids.push(id);
    }
    return ids;
  }

  tokenize(text: string, contextLength = CONTEXT_LENGTH): number[] {
    if (!Number.isInteger(contextLength) || contextLength < 2) {
      throw new UserError(`context length must be an integer of at least 2, got ${contextLength}`);
    }
    const tokens = [this.startOfText, ...this.encode(text), this.endOfText];
    if (tokens.length <= contextLength) return tokens;
    // clip.tokenize(truncate=True): keep the first contextLength ids and make the last one the end token.
    const cut = tokens.slice(0, contextLength);
    cut[contextLength - 1] = this.endOfText;
    return cut;
  }

  countTokens(text: string): number {
    return this.encode(text).length + 2;
  }

  decode(ids: readonly number[]): string {
    if (!this.decoder) this.decoder = new Map([...this.vocab].map(([token, id]) => [id, token]));
    let symbols = '';
    for (const id of ids) {
      const token = this.decoder.get(id);
      if (token === undefined) throw new UserError(`token id ${id} is not in the vocabulary`);
      symbols += token;
    }
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(fromByteSymbols(symbols));
    return text.split(this.suffix).join(' ');
  }
}

/** A tokenizer over files already read (see tokenizer-files.ts). */
export function createTokenizer(files: TokenizerFiles): ClipTokenizer {
  return new BpeClipTokenizer(files);
}

/**
 * Loads CLIP's tokenizer from bpe_simple_vocab_16e6.txt.gz, vocab.json (+ merges.txt beside it), tokenizer.json,
 * or a model folder holding one of them (directly or under tokenizer/).
 */
export async function loadTokenizer(pathOrDir: string): Promise<ClipTokenizer> {
  return createTokenizer(await readTokenizerFiles(pathOrDir));
}

/**
 * The text model's inputs for a batch: ids and attention mask, row-major [texts.length, contextLength],
 * zero-padded like clip.tokenize.
 */
export function toInputIds(
  tokenizer: ClipTokenizer,
  texts: readonly string[],
  contextLength = CONTEXT_LENGTH,
): { inputIds: BigInt64Array; attentionMask: BigInt64Array } {
  const inputIds = new BigInt64Array(texts.length * contextLength);
  const attentionMask = new BigInt64Array(texts.length * contextLength);
  texts.forEach((text, row) => {
    tokenizer.tokenize(text, contextLength).forEach((id, col) => {
      inputIds[row * contextLength + col] = BigInt(id);
      attentionMask[row * contextLength + col] = 1n;
    });
  });
  return { inputIds, attentionMask };
}
