// Byte-level BPE as in OpenAI CLIP's simple_tokenizer.py: bytes become printable characters (bytes_to_unicode),
// then the lowest-ranked adjacent pair is merged until no ranked pair is left.

// Bytes that stand for themselves: printable Latin-1 other than space and the soft hyphen.
function isPrintable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

/**
 * The bytes in the order the reference lists them (printable Latin-1 first, then the rest). The first 256 ids of
 * CLIP's vocabulary follow this order, not byte order.
 */
export function bytesInVocabularyOrder(): number[] {
  const order: number[] = [];
  for (let b = 0; b < 256; b++) if (isPrintable(b)) order.push(b);
  for (let b = 0; b < 256; b++) if (!isPrintable(b)) order.push(b);
  return order;
}

/** bytes_to_unicode(): the character that stands for each byte, indexed by byte; the others go to U+0100 on. */
export function byteToCharacter(): string[] {
  const chars = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCharCode(isPrintable(b) ? b : 256 + next++);
  return chars;
}

const BYTE_TO_CHAR = byteToCharacter();
const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((ch, b) => [ch, b]));

/** A UTF-8 string as the reference's byte-level symbols: one character per byte. */
export function toByteSymbols(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) out += BYTE_TO_CHAR[b];
  return out;
}

/** The bytes that a string of byte-level symbols stands for (characters outside the byte map are skipped). */
export function fromByteSymbols(symbols: string): Uint8Array {
  const bytes: number[] = [];
  for (const ch of symbols) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) bytes.push(b);
  }
  return Uint8Array.from(bytes);
}

/** Merge ranks keyed by "first second" (byte-level symbols never contain a space). */
export function mergeRanks(merges: ReadonlyArray<readonly [string, string]>): Map<string, number> {
  const ranks = new Map<string, number>();
  // A repeated pair keeps its last rank, as the reference's dict(zip(merges, range(...))) does.
  merges.forEach(([a, b], rank) => ranks.set(`${a} ${b}`, rank));
  return ranks;
}

/**
 * The reference's bpe(): splits one pre-token (already as byte symbols) into vocabulary symbols. The last symbol
 * carries the end-of-word suffix.
 */
export function applyMerges(token: string, ranks: ReadonlyMap<string, number>, endOfWord = '</w>'): string[] {
  let word = Array.from(token);
  if (word.length === 0) return word;
  word[word.length - 1] += endOfWord;
  while (word.length > 1) {
    let best = Infinity;
    let at = -1;
    for (let i = 0; i + 1 < word.length; i++) {
      const rank = ranks.get(`${word[i]} ${word[i + 1]}`);
      if (rank !== undefined && rank < best) {
        best = rank;
        at = i;
      }
    }
    if (at < 0) break;
    const first = word[at];
    const second = word[at + 1];
    // Every occurrence of the pair merges in one left-to-right pass, as in the reference.
    const merged: string[] = [];
    for (let i = 0; i < word.length; ) {
      if (i + 1 < word.length && word[i] === first && word[i + 1] === second) {
        merged.push(first + second);
        i += 2;
      } else {
        merged.push(word[i]);
        i += 1;
      }
    }
    word = merged;
  }
  return word;
}
