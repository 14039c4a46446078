// The manifest checks that need more than its text: the dataset's folders, the model registry, the tokenizer.
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { ClipTokenizer } from '../clip/text/tokenizer';
import { CONTEXT_LENGTH } from '../clip/text/tokenizer';
import { isDirectory, isFile } from '../store/files';
import { findModel, towersIn } from '../clip/models';
import { classPrompts, expandTemplates } from '../clip/text/templates';
import { closestName } from './closest-name';
import type { DatasetFolders } from './dataset-folders';
import { WORDNET_ID, type Manifest, type ManifestProblem, type SourceRange } from './manifest';

/** The class name a prompt uses when gla.yaml gives none: the folder name, underscores as spaces. */
export function defaultPrompt(folder: string): string {
  return folder.replace(/_/g, ' ').trim();
}

/** Every class of the dataset with the name its prompts use: gla.yaml's list, else the class folders. */
export function effectiveClasses(manifest: Manifest, folders: DatasetFolders): { folder: string; prompt: string }[] {
  if (manifest.classes) return manifest.classes.map((c) => ({ folder: c.folder, prompt: c.prompt?.trim() || defaultPrompt(c.folder) }));
  return folders.classFolders.map((folder) => ({ folder, prompt: defaultPrompt(folder) }));
}

/** A model path in gla.yaml is relative to the manifest's folder. */
export function modelLocation(model: string, datasetRoot: string): string {
  return isAbsolute(model) ? model : resolve(datasetRoot, model);
}

/** What gla.yaml's `model:` names: a known id as is, anything else a folder relative to the manifest. */
export function resolveManifestModel(model: string, datasetRoot: string): string {
  return findModel(model) ? model : modelLocation(model, datasetRoot);
}

/** gla.yaml's `finetuned:` as an absolute path: relative to the manifest's folder. */
export function finetunedLocation(finetuned: string, datasetRoot: string): string {
  return modelLocation(finetuned, datasetRoot);
}

/**
 * What is wrong with a `finetuned:` path, if anything: it must be a model folder (onnx/model.onnx or model.onnx), or
 * a logits PREFIX with PREFIX.npy and PREFIX.json (written with or without the .npy).
 */
export async function finetunedProblem(finetuned: string, datasetRoot: string): Promise<string | undefined> {
  const path = finetunedLocation(finetuned, datasetRoot);
  if (await isDirectory(path)) {
    if ((await isFile(join(path, 'onnx', 'model.onnx'))) || (await isFile(join(path, 'model.onnx')))) return undefined;
    return `fine-tuned model folder '${finetuned}' has no onnx/model.onnx (nor model.onnx) (${path})`;
  }
  const prefix = path.replace(/\.(npy|json)$/, '');
  const npy = await isFile(`${prefix}.npy`);
  const json = await isFile(`${prefix}.json`);
  if (npy && json) return undefined;
  if (npy) return `logits '${finetuned}' has ${basename(prefix)}.npy but no ${basename(prefix)}.json beside it (its image paths) (${prefix}.json)`;
  return `finetuned '${finetuned}' is neither a model folder nor a logits PREFIX (no ${path} folder, no ${prefix}.npy)`;
}

const FIRST_LINE: SourceRange = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Class folders that do not exist, split folders that do not exist, a model that is neither an id nor a folder. */
export async function checkAgainstDataset(manifest: Manifest, folders: DatasetFolders): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  for (const name of folders.missingSplits) {
    const split = manifest.splits?.[name];
    if (split) {
      problems.push({ range: split.range, severity: 'error', code: 'missing-split-folder', message: `${name} split folder '${split.value}' does not exist in ${folders.root}` });
    }
  }
  // Folder names compare in NFC: macOS may store them decomposed while the editor types them composed.
  const existing = new Set(folders.classFolders.map((f) => f.normalize('NFC')));
  const where = describeSplits(folders);
  const byLowerCase = new Map(folders.classFolders.map((f) => [f.normalize('NFC').toLowerCase(), f]));
  // A misspelt class most likely means a folder that no class names yet: those are tried first.
  const listed = new Set((manifest.classes ?? []).map((c) => c.folder.normalize('NFC')));
  const unlisted = folders.classFolders.filter((f) => !listed.has(f.normalize('NFC')));
  for (const c of manifest.classes ?? []) {
    if (!existing.has(c.folder.normalize('NFC'))) {
      const other = byLowerCase.get(c.folder.normalize('NFC').toLowerCase());
      const guess = other ?? closestName(c.folder, unlisted) ?? closestName(c.folder, folders.classFolders);
      const hint = other ? `; the folder '${other}' differs only in case (names must match exactly)` : guess ? ` — did you mean '${guess}'?` : '';
      problems.push({ range: c.folderRange, severity: 'error', code: 'missing-folder', message: `class folder '${c.folder}' does not exist ${where}${hint}`, ...(guess ? { suggestion: guess } : {}) });
    }
  }
  if (!manifest.classesKeyRange) {
    const wordnet = folders.classFolders.filter((f) => WORDNET_ID.test(f));
    if (wordnet.length > 0) {
      const sample = wordnet.slice(0, 3).join(', ') + (wordnet.length > 3 ? ', …' : '');
      problems.push({
        range: manifest.model?.range ?? FIRST_LINE,
        severity: 'warning',
        code: 'wordnet-prompt',
        message: `${wordnet.length} class folder(s) are WordNet ids (${sample}): list them under classes: with a prompt: each, or their zero-shot prompts are meaningless`,
      });
    }
  }
  if (manifest.model && !findModel(manifest.model.value)) {
    const path = modelLocation(manifest.model.value, folders.root);
    if (!(await isDirectory(path))) {
      problems.push({ range: manifest.model.range, severity: 'warning', code: 'unknown-model', message: `model '${manifest.model.value}' is neither a known model id nor a folder (${path})` });
    } else {
      // Both towers are needed: the image tower embeds, the text tower makes the zero-shot head.
      const towers = await towersIn(path);
      const lacking = [towers.vision ? '' : 'image tower (onnx/vision_model.onnx)', towers.text ? '' : 'text tower (onnx/text_model.onnx)'].filter(Boolean);
      if (lacking.length) {
        problems.push({ range: manifest.model.range, severity: 'warning', code: 'incomplete-model', message: `model folder '${manifest.model.value}' has no ${lacking.join(' and no ')}: GLA needs both of CLIP's towers (${path})` });
      }
    }
  }
  if (manifest.finetuned) {
    const message = await finetunedProblem(manifest.finetuned.value, folders.root);
    if (message) problems.push({ range: manifest.finetuned.range, severity: 'warning', code: 'missing-finetuned', message });
  }
  return problems;
}

function describeSplits(folders: DatasetFolders): string {
  const splits = Object.keys(folders.splitDirs);
  return splits.length ? `in the split folders (${splits.join(', ')})` : `in ${folders.root}`;
}

/** Token counts of one class's prompts (start and end tokens included), one per template. */
export function promptTokenCounts(tokenizer: ClipTokenizer, prompt: string, templates: readonly string[]): number[] {
  return classPrompts(prompt, templates).map((text) => countTokens(tokenizer, text));
}

// The editor re-checks on every keystroke; 1000 classes × 80 templates is 80 000 prompts, so counts are kept.
const COUNT_CACHE_LIMIT = 500_000;
const counted = new WeakMap<ClipTokenizer, Map<string, number>>();

function countTokens(tokenizer: ClipTokenizer, text: string): number {
  let cache = counted.get(tokenizer);
  if (!cache) counted.set(tokenizer, (cache = new Map()));
  let n = cache.get(text);
  if (n === undefined) {
    if (cache.size >= COUNT_CACHE_LIMIT) cache.clear();
    n = tokenizer.countTokens(text);
    cache.set(text, n);
  }
  return n;
}

/**
 * Prompts CLIP would cut at 77 tokens. A template that is too long by itself is reported once on the template;
 * otherwise each class whose longest prompt is too long is reported on its prompt (or folder) line.
 */
export function checkPromptLengths(manifest: Manifest, tokenizer: ClipTokenizer, templates: readonly string[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const fitting: string[] = [];
  for (const t of expandTemplates(templates)) {
    const alone = countTokens(tokenizer, classPrompts('', [t])[0]);
    const located = manifest.templates?.find((m) => m.value === t);
    if (alone > CONTEXT_LENGTH && located) {
      problems.push({ range: located.range, severity: 'warning', code: 'prompt-too-long', message: `template is ${alone} tokens without a class name; CLIP reads only ${CONTEXT_LENGTH} and cuts the rest` });
    } else {
      fitting.push(t);
    }
  }
  for (const c of manifest.classes ?? []) {
    const prompt = c.prompt?.trim() || defaultPrompt(c.folder);
    const counts = promptTokenCounts(tokenizer, prompt, fitting);
    const longest = Math.max(0, ...counts);
    if (longest <= CONTEXT_LENGTH) continue;
    const template = fitting[counts.indexOf(longest)];
    problems.push({
      range: c.promptRange ?? c.folderRange,
      severity: 'warning',
      code: 'prompt-too-long',
      message: `prompt "${classPrompts(prompt, [template])[0]}" is ${longest} tokens; CLIP reads only ${CONTEXT_LENGTH} and cuts the rest`,
    });
  }
  return problems;
}
