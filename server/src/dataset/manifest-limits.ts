// How large a gla.yaml may be: parsing YAML costs hundreds of bytes of memory per byte and per list item, so a
// hostile or accidental manifest (a 60 MB file, 600k classes) is refused before it is parsed.
import { Lexer } from 'yaml';
import type { Manifest, ManifestProblem, SourceRange } from './manifest';

/** A gla.yaml lists classes, prompts and templates, never images: 1 MiB holds tens of thousands of classes. */
export const MAX_MANIFEST_BYTES = 1_048_576;

/** The most classes a gla.yaml may list (a 1 MiB file could otherwise hold ~500k in a flow list `[a,b,…]`). */
export const MAX_CLASSES = 100_000;

const MIB = 1_048_576;

/** "gla.yaml is 2.0 MB; the limit is 1 MB — …", rounded up so an oversized file never reads as 1.0 MB. */
export function manifestSizeMessage(bytes: number, name = 'gla.yaml'): string {
  const mb = (Math.ceil((bytes / MIB) * 10) / 10).toFixed(1);
  return `${name} is ${mb} MB; the limit is ${MAX_MANIFEST_BYTES / MIB} MB — it lists classes, prompts and templates, not images, so it is not read further`;
}

export function manifestItemsMessage(items: number): string {
  return `gla.yaml has ${items.toLocaleString('en-US')} list items; the limit is ${MAX_CLASSES.toLocaleString('en-US')} classes — it is not read further`;
}

/** Whether an editor's text is over the size limit; UTF-8 is never shorter than UTF-16, so long texts skip the count. */
export function exceedsManifestSize(text: string): boolean {
  return text.length > MAX_MANIFEST_BYTES || Buffer.byteLength(text, 'utf8') > MAX_MANIFEST_BYTES;
}

/**
 * The problem that stops a manifest from being parsed, or undefined when it is within the limits. The class count
 * is bounded without building the document: every list item follows a `-`, a `[` or a `,` token, so their number
 * bounds the length of any list, `classes:` included. A raw character count answers first for almost every file.
 */
export function manifestLimitProblem(text: string): ManifestProblem | undefined {
  if (exceedsManifestSize(text)) {
    return { range: firstLine(text), severity: 'error', code: 'manifest-too-large', message: manifestSizeMessage(Buffer.byteLength(text, 'utf8')) };
  }
  if (countListMarks(text) <= MAX_CLASSES) return undefined;
  const items = countListItemTokens(text);
  if (items <= MAX_CLASSES) return undefined;
  return { range: classesKeyLine(text), severity: 'error', code: 'too-many-classes', message: manifestItemsMessage(items) };
}

/** Whether a parsed manifest is only the refusal above (callers skip the dataset checks). */
export function exceedsManifestLimits(manifest: Manifest): boolean {
  return manifest.problems.some((p) => p.code === 'manifest-too-large' || p.code === 'too-many-classes');
}

function countListMarks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2d /* - */ || c === 0x2c /* , */ || c === 0x5b /* [ */) n++;
  }
  return n;
}

/** The lexer streams tokens without building a tree, so this costs no more memory than the text. */
function countListItemTokens(text: string): number {
  let n = 0;
  for (const token of new Lexer().lex(text)) if (token === '-' || token === ',' || token === '[') n++;
  return n;
}

function firstLine(text: string): SourceRange {
  const end = text.search(/\r?\n/);
  return { start: { line: 0, character: 0 }, end: { line: 0, character: end < 0 ? Math.min(text.length, 200) : Math.min(end, 200) } };
}

/** The `classes:` key's line when there is one at the top level, else the first line. */
function classesKeyLine(text: string): SourceRange {
  const m = /^classes[ \t]*:/m.exec(text);
  if (!m) return firstLine(text);
  let line = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) line++;
  return { start: { line, character: 0 }, end: { line, character: 'classes'.length } };
}
