// gla.yaml, the dataset manifest: parsed with source ranges so the editor can point at each problem.
import { LineCounter, Scalar, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { TEMPLATE_SETS } from '../clip/text/templates';
import { closestName } from './closest-name';
import { manifestLimitProblem } from './manifest-limits';

/** 0-based line and UTF-16 character, as editors count them (structurally an LSP Position). */
export interface SourcePosition {
  line: number;
  character: number;
}

export interface SourceRange {
  start: SourcePosition;
  end: SourcePosition;
}

export interface Located<T> {
  value: T;
  range: SourceRange;
}

export type ProblemSeverity = 'error' | 'warning' | 'info';

/** Stable ids for each kind of problem: code actions and tests key on them. */
export type ManifestProblemCode =
  | 'yaml-syntax'
  | 'wrong-type'
  | 'unknown-key'
  | 'empty-classes'
  | 'duplicate-class'
  | 'duplicate-prompt'
  | 'empty-prompt'
  | 'template-placeholder'
  | 'wordnet-prompt'
  | 'missing-folder'
  | 'missing-split-folder'
  | 'unknown-model'
  | 'incomplete-model'
  | 'missing-finetuned'
  | 'prompt-too-long'
  | 'manifest-too-large'
  | 'too-many-classes';

export interface ManifestProblem {
  range: SourceRange;
  severity: ProblemSeverity;
  message: string;
  code: ManifestProblemCode;
  /** For a missing class folder: the existing folder it most likely means, which a quick fix can put in its place. */
  suggestion?: string;
}

export interface ManifestClass {
  folder: string;
  prompt?: string;
  /** The whole list item (`folder: …` and `prompt: …`, or the bare folder name). */
  range: SourceRange;
  folderRange: SourceRange;
  promptRange?: SourceRange;
}

export const SPLIT_NAMES = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/**
 * What a gla.yaml says, with where it says it. Plain data, no editor types.
 *
 * ```
 * model?:     {value, range}                    // id or folder (relative to the manifest's folder)
 * finetuned?: {value, range}                    // the user's fine-tuned model folder or logits PREFIX (relative to the manifest's folder)
 * classes?:   [{folder, prompt?, range, folderRange, promptRange?}]   // absent: the class folders
 * classesKeyRange?: range of the `classes:` key when written
 * templates?: [{value, range}]                  // each with {}, or a set name (clip/text/templates.ts); absent: the default set
 * splits?:    {train?, val?, test?: {value, range}}   // folder names under the dataset folder
 * problems:   [{range, severity, message, code}]
 * ```
 * Ranges are 0-based lines and UTF-16 characters. Entries with a wrong type are left out and reported in `problems`,
 * so a consumer can use whatever is well-formed.
 */
export interface Manifest {
  model?: Located<string>;
  /**
   * A fine-tuned image classifier to calibrate with GLA instead of the run's linear probe: a Hugging Face
   * image-classification ONNX folder, or a logits PREFIX (PREFIX.npy + PREFIX.json). Relative to the manifest's folder.
   */
  finetuned?: Located<string>;
  classes?: ManifestClass[];
  /** Where the `classes:` key is written, even when its value is unusable (then `classes` is absent). */
  classesKeyRange?: SourceRange;
  templates?: Located<string>[];
  splits?: Partial<Record<SplitName, Located<string>>>;
  problems: ManifestProblem[];
}

const TOP_LEVEL_KEYS = ['model', 'finetuned', 'classes', 'templates', 'splits'];
const CLASS_KEYS = ['folder', 'prompt'];

/** ImageNet-style synset folders (n01440764): words CLIP never saw as a class name. */
export const WORDNET_ID = /^n\d{8}$/;

/** The placeholder a template puts the class's prompt in. */
export const CLASS_PLACEHOLDER = '{}';

/**
 * Parses manifest text; never throws. Checks that need the dataset folder or a tokenizer are in manifest-checks.ts.
 * Text over the limits of manifest-limits.ts is not parsed: its one problem says which limit.
 */
export function parseManifest(text: string): Manifest {
  const overLimit = manifestLimitProblem(text);
  if (overLimit) return { problems: [overLimit] };
  return new ManifestReader(text).read();
}

class ManifestReader {
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;
  private readonly problems: ManifestProblem[] = [];

  constructor(private readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  read(): Manifest {
    const manifest: Manifest = { problems: this.problems };
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      const severity = e.name === 'YAMLWarning' ? 'warning' : 'error';
      // A parse error that names a single character still gets a visible one-character range.
      let start = Math.min(e.pos[0], this.text.length);
      let end = Math.max(e.pos[1], start);
      // An error at a line break or at the end is shown on the last character before it.
      if (start > 0 && (start === this.text.length || this.text[start] === '\n' || this.text[start] === '\r')) {
        while (start > 0 && /[\r\n]/.test(this.text[start - 1] ?? '')) start--;
        start = Math.max(0, start - 1);
        end = start + 1;
      } else if (end === start && end < this.text.length) {
        end++;
      }
      this.problem(this.offsets(start, end), severity, 'yaml-syntax', e.message.split('\n')[0]);
    }
    const root = this.resolve(this.doc.contents);
    if (root === null || (isScalar(root) && (root.value === null || root.value === ''))) return manifest;
    if (!isMap(root)) {
      this.problem(this.rangeOf(root), 'error', 'wrong-type', 'gla.yaml must be a mapping of model, finetuned, classes, templates and splits');
      return manifest;
    }
    for (const pair of root.items as Pair<unknown, unknown>[]) {
      const key = this.keyName(pair);
      if (key === undefined) continue;
      const value = this.resolve(pair.value);
      switch (key) {
        case 'model':
          manifest.model = this.string(pair, value, 'model', 'a model id or folder');
          break;
        case 'finetuned':
          manifest.finetuned = this.string(pair, value, 'finetuned', 'a fine-tuned model folder or a logits PREFIX (PREFIX.npy + PREFIX.json)');
          break;
        case 'classes':
          manifest.classesKeyRange = this.rangeOf(pair.key as Node);
          manifest.classes = this.classes(pair, value);
          break;
        case 'templates':
          manifest.templates = this.templates(pair, value);
          break;
        case 'splits':
          manifest.splits = this.splits(pair, value);
          break;
        default:
          this.unknownKey(pair, key, TOP_LEVEL_KEYS, 'gla.yaml');
      }
    }
    this.checkClasses(manifest.classes ?? []);
    return manifest;
  }

  private classes(pair: Pair<unknown, unknown>, value: Node | null): ManifestClass[] | undefined {
    if (!isSeq(value)) {
      this.wrongType(pair, value, 'classes', 'a list of classes (`- folder: name`, with an optional `prompt:`)');
      return undefined;
    }
    if (value.items.length === 0) {
      this.problem(this.rangeOf(value, pair), 'warning', 'empty-classes', 'classes is empty: remove it to use every class folder');
    }
    const out: ManifestClass[] = [];
    for (const raw of value.items) {
      const item = this.resolve(raw);
      if (isScalar(item)) {
        // `- cat` is shorthand for `- folder: cat`.
        const folder = this.scalarText(item);
        if (folder === undefined || folder === '') {
          this.problem(this.rangeOf(item, pair), 'error', 'wrong-type', 'a class needs a folder name');
          continue;
        }
        const range = this.rangeOf(item);
        out.push({ folder, range, folderRange: range });
        continue;
      }
      if (!isMap(item)) {
        this.problem(this.rangeOf(item, pair), 'error', 'wrong-type', 'a class must be `folder: name` (with an optional `prompt:`) or a folder name');
        continue;
      }
      let folder: Located<string> | undefined;
      let prompt: Located<string> | undefined;
      let folderKey: Pair<unknown, unknown> | undefined;
      for (const field of item.items as Pair<unknown, unknown>[]) {
        const key = this.keyName(field);
        if (key === 'folder') {
          folderKey = field;
          folder = this.string(field, this.resolve(field.value), 'folder', 'the class folder name');
        } else if (key === 'prompt') {
          prompt = this.string(field, this.resolve(field.value), 'prompt', 'the class name used in prompts', true);
        } else if (key !== undefined) {
          this.unknownKey(field, key, CLASS_KEYS, 'a class');
        }
      }
      if (!folder) {
        if (!folderKey) this.problem(this.rangeOf(item), 'error', 'wrong-type', 'this class has no `folder:`');
        continue;
      }
      out.push({ folder: folder.value, prompt: prompt?.value, range: this.rangeOf(item), folderRange: folder.range, promptRange: prompt?.range });
    }
    return out;
  }

  private templates(pair: Pair<unknown, unknown>, value: Node | null): Located<string>[] | undefined {
    // A single template is accepted as is; the usual form is a list.
    const items = isSeq(value) ? value.items.map((i) => this.resolve(i)) : isScalar(value) && value.value !== null ? [value] : undefined;
    if (!items) {
      this.wrongType(pair, value, 'templates', 'a list of prompt templates, each with {} where the class name goes');
      return undefined;
    }
    const out: Located<string>[] = [];
    for (const item of items) {
      const text = isScalar(item) ? this.scalarText(item) : undefined;
      if (text === undefined) {
        // `[a {} photo]` or `- {} photo` parse {} as a mapping: say how to write it.
        const hint = isMap(item) ? ' (quote templates that contain {}, e.g. "{} photo")' : '';
        this.problem(this.rangeOf(item, pair), 'error', 'wrong-type', `a template must be a string${hint}`);
        continue;
      }
      const located = { value: text, range: this.rangeOf(item) };
      // A set name (imagenet-80, clip-7, single) stands for its templates.
      if (!text.includes(CLASS_PLACEHOLDER) && !(text in TEMPLATE_SETS)) {
        this.problem(located.range, 'error', 'template-placeholder', `template "${text}" has no {} for the class name (nor is it a template set: ${Object.keys(TEMPLATE_SETS).join(', ')})`);
      }
      out.push(located);
    }
    return out;
  }

  private splits(pair: Pair<unknown, unknown>, value: Node | null): Partial<Record<SplitName, Located<string>>> | undefined {
    if (!isMap(value)) {
      this.wrongType(pair, value, 'splits', 'a mapping such as {train: train, val: val, test: test}');
      return undefined;
    }
    const out: Partial<Record<SplitName, Located<string>>> = {};
    for (const field of value.items as Pair<unknown, unknown>[]) {
      const key = this.keyName(field);
      if (key === undefined) continue;
      if (!(SPLIT_NAMES as readonly string[]).includes(key)) {
        this.unknownKey(field, key, [...SPLIT_NAMES], 'splits');
        continue;
      }
      const folder = this.string(field, this.resolve(field.value), key, `the ${key} split's folder`);
      if (folder) out[key as SplitName] = folder;
    }
    return out;
  }

  /** Duplicates and prompts, once every class is read. */
  private checkClasses(classes: ManifestClass[]): void {
    const byFolder = new Map<string, ManifestClass>();
    const byPrompt = new Map<string, ManifestClass>();
    for (const c of classes) {
      const first = byFolder.get(c.folder);
      if (first) {
        this.problem(c.folderRange, 'error', 'duplicate-class', `class '${c.folder}' is listed twice (first on line ${first.range.start.line + 1})`);
        continue;
      }
      byFolder.set(c.folder, c);
      if (c.prompt !== undefined && c.promptRange) {
        if (c.prompt.trim() === '') {
          this.problem(c.promptRange, 'error', 'empty-prompt', `prompt of '${c.folder}' is empty: write the class's name in words`);
          continue;
        }
        // Identical prompts give identical text embeddings, so zero-shot cannot tell the classes apart.
        const key = c.prompt.trim().toLowerCase();
        const same = byPrompt.get(key);
        if (same) {
          this.problem(c.promptRange, 'warning', 'duplicate-prompt', `'${c.folder}' has the same prompt as '${same.folder}' (line ${same.range.start.line + 1}): zero-shot cannot tell them apart`);
        } else {
          byPrompt.set(key, c);
        }
      } else if (WORDNET_ID.test(c.folder)) {
        this.problem(c.folderRange, 'warning', 'wordnet-prompt', `'${c.folder}' is a WordNet id: add a prompt: with the class's name, or its zero-shot prompts are meaningless`);
      }
    }
  }

  // --- typed values -------------------------------------------------------------------------------------------

  /** A string value (numbers and booleans keep their source text, so folder `007` stays `007`). */
  private string(pair: Pair<unknown, unknown>, value: Node | null, name: string, what: string, allowEmpty = false): Located<string> | undefined {
    const text = isScalar(value) ? this.scalarText(value) : undefined;
    if (text === undefined || (!allowEmpty && text.trim() === '')) {
      this.wrongType(pair, value, name, what);
      return undefined;
    }
    return { value: text, range: this.rangeOf(value, pair) };
  }

  private scalarText(node: Scalar): string | undefined {
    if (typeof node.value === 'string') return node.value;
    if (node.value === null) return node.type === Scalar.PLAIN ? undefined : '';
    if (typeof node.value === 'number' || typeof node.value === 'boolean' || typeof node.value === 'bigint') {
      return node.source ?? String(node.value);
    }
    return undefined;
  }

  private wrongType(pair: Pair<unknown, unknown>, value: Node | null, name: string, what: string): void {
    const got = describeNode(value);
    this.problem(this.rangeOf(value, pair), 'error', 'wrong-type', `${name}: expected ${what}, got ${got}`);
  }

  private unknownKey(pair: Pair<unknown, unknown>, key: string, known: string[], where: string): void {
    const guess = closestName(key, known);
    const hint = guess ? ` — did you mean '${guess}'?` : ` (known: ${known.join(', ')})`;
    this.problem(this.rangeOf(pair.key as Node), 'warning', 'unknown-key', `unknown key '${key}' in ${where}${hint}`);
  }

  private keyName(pair: Pair<unknown, unknown>): string | undefined {
    const key = this.resolve(pair.key);
    if (isScalar(key)) {
      const text = this.scalarText(key);
      if (text !== undefined) return text;
    }
    this.problem(this.rangeOf(key), 'error', 'wrong-type', 'keys must be plain names');
    return undefined;
  }

  private resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null | undefined) ?? null;
  }

  // --- ranges -------------------------------------------------------------------------------------------------

  /** The node's range; an empty or missing value falls back to its key, so the problem stays visible. */
  private rangeOf(node: Node | null | undefined, pair?: Pair<unknown, unknown>): SourceRange {
    const r = node?.range;
    if (r && r[1] > r[0]) return this.offsets(r[0], this.trimEnd(r[0], r[1]));
    const keyRange = (pair?.key as Node | undefined)?.range;
    if (keyRange) return this.offsets(keyRange[0], keyRange[1]);
    if (r) return this.offsets(r[0], r[1]);
    return this.offsets(0, 0);
  }

  /** Block collections end after their last line break; ranges end at the last character written. */
  private trimEnd(start: number, end: number): number {
    while (end > start + 1 && /\s/.test(this.text[end - 1])) end--;
    return end;
  }

  private offsets(start: number, end: number): SourceRange {
    return { start: this.position(start), end: this.position(end) };
  }

  private position(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(Math.min(offset, this.text.length));
    // linePos is 1-based; line 0 means "before the first newline was seen" (a one-line file).
    return line === 0 ? { line: 0, character: offset } : { line: line - 1, character: col - 1 };
  }

  private problem(range: SourceRange, severity: ProblemSeverity, code: ManifestProblemCode, message: string): void {
    this.problems.push({ range, severity, code, message });
  }
}

function describeNode(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null) return 'nothing';
    return `${typeof node.value === 'string' ? 'text' : typeof node.value} ${JSON.stringify(String(node.source ?? node.value))}`;
  }
  return 'something else';
}
