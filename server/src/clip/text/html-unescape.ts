// HTML entity decoding exactly as CLIP's reference clean-up sees it: Python's html.unescape, and ftfy's stricter
// unescape_html (the first step of ftfy.fix_text). Named entities come from the `entities` package (WHATWG table).
import { decodeHTML, decodeHTMLStrict } from 'entities';

// Python's html._charref; with the u flag a name of up to 32 code points, as Python counts them.
const PYTHON_CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

// Python's html._invalid_charrefs: NUL, CR, and the C1 range read as windows-1252 (undefined bytes stay as they are).
const INVALID_CHARREFS = new Map<number, string>([
  [0x00, '\ufffd'], [0x0d, '\r'], [0x80, '\u20ac'], [0x81, '\x81'], [0x82, '\u201a'], [0x83, '\u0192'],
  [0x84, '\u201e'], [0x85, '\u2026'], [0x86, '\u2020'], [0x87, '\u2021'], [0x88, '\u02c6'], [0x89, '\u2030'],
  [0x8a, '\u0160'], [0x8b, '\u2039'], [0x8c, '\u0152'], [0x8d, '\x8d'], [0x8e, '\u017d'], [0x8f, '\x8f'],
  [0x90, '\x90'], [0x91, '\u2018'], [0x92, '\u2019'], [0x93, '\u201c'], [0x94, '\u201d'], [0x95, '\u2022'],
  [0x96, '\u2013'], [0x97, '\u2014'], [0x98, '\u02dc'], [0x99, '\u2122'], [0x9a, '\u0161'], [0x9b, '\u203a'],
  [0x9c, '\u0153'], [0x9d, '\x9d'], [0x9e, '\u017e'], [0x9f, '\u0178'],
]);

/** The windows-1252 reading of a C1 control character (U+0080–U+009F), as browsers and ftfy's sloppy codec do. */
export function windows1252ForC1(codePoint: number): string {
  return INVALID_CHARREFS.get(codePoint) ?? String.fromCodePoint(codePoint);
}

// Python's html._invalid_codepoints, which html.unescape drops.
function isInvalidCodePoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) || n === 0xb || (n >= 0xe && n <= 0x1f) || (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) || (n & 0xfffe) === 0xfffe
  );
}

function numericCharref(body: string): string {
  const digits = body.replace(/;$/, '');
  const num = digits[1] === 'x' || digits[1] === 'X' ? parseInt(digits.slice(2), 16) : parseInt(digits.slice(1), 10);
  const special = INVALID_CHARREFS.get(num);
  if (special !== undefined) return special;
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff) return '\ufffd';
  if (isInvalidCodePoint(num)) return '';
  return String.fromCodePoint(num);
}

/** Python's `html.unescape`: numeric references by its rules, named ones by the HTML5 longest-prefix rule. */
export function pythonHtmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(PYTHON_CHARREF, (_match, body: string) =>
    // The WHATWG decoder on "&name" is Python's exact-then-longest-legacy-prefix lookup.
    body[0] === '#' ? numericCharref(body) : decodeHTML('&' + body),
  );
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

function isHtml5Entity(name: string): boolean {
  const ref = `&${name};`;
  return decodeHTMLStrict(ref) !== ref;
}

/**
 * ftfy's `unescape_html`: only references that end in ';' (so "this&not that" stays), numeric ones through
 * html.unescape, and all-caps forms of lower-case entity names ("P&EACUTE;REZ" → "PÉREZ") when those are not
 * entities of their own.
 */
export function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(FTFY_ENTITY, (match) => {
    if (match[1] === '#') {
      const unescaped = pythonHtmlUnescape(match);
      // html.unescape that stopped short of the ';' decoded only part of it; ftfy keeps such text.
      return unescaped.includes(';') ? match : unescaped;
    }
    const name = match.slice(1, -1);
    if (isHtml5Entity(name)) return decodeHTMLStrict(match);
    const lower = name.toLowerCase();
    if (lower.toUpperCase() === name && isHtml5Entity(lower) && pythonHtmlUnescape(match) === match) {
      return decodeHTMLStrict(`&${lower};`).toUpperCase();
    }
    return match;
  });
}
