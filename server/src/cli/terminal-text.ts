// File and class names are the user's bytes: an ANSI escape sequence in one must not reach the terminal raw, where it
// could recolour, retitle or rewrite what the user sees. Control characters are shown escaped instead.

/** C0 controls, DEL and C1 controls (0x80–0x9f: 0x9b alone starts a sequence on some terminals). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character escaped (ESC → \x1b, newline → \n); other Unicode is kept as is. */
export function printable(text: string): string {
  return text.replace(CONTROL, (ch) => NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The same, line by line: for our own multi-line messages, whose line breaks are meant. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
