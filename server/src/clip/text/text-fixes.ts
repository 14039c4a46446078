// The parts of ftfy.fix_text (ftfy 6.x, default TextFixerConfig) that change well-formed text. CLIP's reference
// tokenizer runs fix_text first; ftfy has no JavaScript port, so its fixers are restated here, in ftfy's order:
//   unescape_html ("auto": off from the first line that contains '<'), fix_c1_controls, fix_latin_ligatures,
//   fix_character_width, uncurl_quotes, fix_line_breaks, fix_surrogates, remove_terminal_escapes,
//   remove_control_chars, NFC normalisation — repeated until the line stops changing.
// Not restated: fix_encoding (mojibake detection and re-decoding, e.g. "cafÃ©" → "café"). It rests on ftfy's
// heuristic badness tables and only touches text that already looks mis-decoded; such text is tokenized as is.
// Nor is max_decode_length (lines over a million characters are fixed whole).
import { ftfyUnescapeHtml, windows1252ForC1 } from './html-unescape';

const C1_CONTROL = /[\x80-\x9f]/g;

const LIGATURES: Record<string, string> = {
  '\u0132': 'IJ', '\u0133': 'ij', '\u0149': '\u02bcn', '\u01f1': 'DZ', '\u01f2': 'Dz', '\u01f3': 'dz',
  '\u01c4': 'D\u017d', '\u01c5': 'D\u017e', '\u01c6': 'd\u017e', '\u01c7': 'LJ', '\u01c8': 'Lj', '\u01c9': 'lj',
  '\u01ca': 'NJ', '\u01cb': 'Nj', '\u01cc': 'nj', '\ufb00': 'ff', '\ufb01': 'fi', '\ufb02': 'fl', '\ufb03': 'ffi',
  '\ufb04': 'ffl', '\ufb05': '\u017ft', '\ufb06': 'st',
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');

// ftfy maps the ideographic space to a space and each half/full-width form (U+FF01–U+FFEF) to its NFKC form.
const WIDE_OR_NARROW = /[\u3000\uff01-\uffef]/g;
function standardWidth(ch: string): string {
  return ch === '\u3000' ? ' ' : ch.normalize('NFKC');
}

const CURLY_DOUBLE = /[\u201c-\u201f]/g;
const CURLY_SINGLE = /[\u02bc\u2018-\u201b]/g;
const LINE_BREAK = /\r\n|[\r\u2028\u2029\u0085]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// ftfy's ANSI_RE; Python's \d there matches any decimal digit, hence \p{Nd}.
const TERMINAL_ESCAPE = /\x1b\[(?:\p{Nd}|;)*[a-zA-Z]/gu;
const CONTROL_CHARS = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

function fixLine(line: string, unescapeHtml: boolean): string {
  for (;;) {
    const before = line;
    if (unescapeHtml) line = ftfyUnescapeHtml(line);
    line = line
      .replace(C1_CONTROL, (ch) => windows1252ForC1(ch.charCodeAt(0)))
      .replace(LIGATURE, (ch) => LIGATURES[ch])
      .replace(WIDE_OR_NARROW, standardWidth)
      .replace(CURLY_DOUBLE, '"')
      .replace(CURLY_SINGLE, "'")
      .replace(LINE_BREAK, '\n')
      .replace(LONE_SURROGATE, '\ufffd')
      .replace(TERMINAL_ESCAPE, '')
      .replace(CONTROL_CHARS, '')
      .normalize('NFC');
    if (line === before) return line;
  }
}

/** ftfy.fix_text with its defaults, less mojibake repair (see the top of this file). */
export function fixText(text: string): string {
  let unescapeHtml = true;
  let out = '';
  for (let pos = 0; pos < text.length; ) {
    let end = text.indexOf('\n', pos) + 1;
    if (end === 0) end = text.length;
    const line = text.slice(pos, end);
    // Text with a '<' may be real HTML, whose entities ftfy then keeps, from that line on.
    if (unescapeHtml && line.includes('<')) unescapeHtml = false;
    out += fixLine(line, unescapeHtml);
    pos = end;
  }
  return out;
}
