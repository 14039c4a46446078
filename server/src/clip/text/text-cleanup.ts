// CLIP's text clean-up before BPE, as simple_tokenizer.py does it:
//   whitespace_clean(basic_clean(text)).lower(), basic_clean = ftfy.fix_text, html.unescape twice, strip.
import { pythonHtmlUnescape } from './html-unescape';
import { fixText } from './text-fixes';

/**
 * What `\s` matches in the `regex` module the reference uses (Unicode White_Space). Unlike JavaScript's `\s` it
 * includes U+0085 and excludes U+FEFF, so it is spelled out.
 */
export const REGEX_WHITESPACE = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

// Python's str.isspace(), which str.strip() uses: White_Space plus the separators U+001C–U+001F.
const PYTHON_SPACE = new RegExp('[\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]');
const WHITESPACE_RUN = new RegExp(`[${REGEX_WHITESPACE}]+`, 'g');

/** Python's str.strip() with no argument (a scan from both ends, linear even on long runs of spaces). */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_SPACE.test(text[start])) start++;
  while (end > start && PYTHON_SPACE.test(text[end - 1])) end--;
  return text.slice(start, end);
}

/** The text exactly as CLIP's reference tokenizer splits it: fixed, unescaped, whitespace collapsed, lower case. */
export function cleanClipText(text: string): string {
  const basic = pythonStrip(pythonHtmlUnescape(pythonHtmlUnescape(fixText(text))));
  // JavaScript's toLowerCase, like Python's str.lower, applies full case mapping and the final-sigma rule.
  return pythonStrip(basic.replace(WHITESPACE_RUN, ' ')).toLowerCase();
}
