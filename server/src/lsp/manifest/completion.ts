// Completion in gla.yaml: class folder names, the {} placeholder in templates, model ids, top-level keys (finetuned: among them).
import { CompletionItemKind, type CompletionItem, type Position } from 'vscode-languageserver';
import { listModels, nearbyModelFolders } from '../../clip/models';
import { TEMPLATE_SETS } from '../../clip/text/templates';
import { CLASS_PLACEHOLDER } from '../../dataset/manifest';
import type { ManifestContext } from './manifest-context';
import { enclosingTopLevelKey, yamlScalar } from './yaml-text';

const TOP_LEVEL_KEYS: { key: string; detail: string }[] = [
  { key: 'model', detail: 'CLIP model id or folder' },
  { key: 'finetuned', detail: 'your fine-tuned classifier to calibrate with GLA instead of the linear probe: an HF image-classification ONNX folder or a logits PREFIX (PREFIX.npy + PREFIX.json), relative to this folder' },
  { key: 'classes', detail: 'the classes, each `- folder:` with an optional `prompt:`' },
  { key: 'templates', detail: 'prompt templates, each with {} for the class name' },
  { key: 'splits', detail: 'train / val / test folders' },
];

export async function manifestCompletions(context: ManifestContext, position: Position): Promise<CompletionItem[]> {
  const lines = context.text.split(/\r?\n/);
  const line = lines[position.line] ?? '';
  const before = line.slice(0, position.character);
  const replace = (from: number) => ({ start: { line: position.line, character: from }, end: position });

  const model = /^model:\s*/.exec(before);
  if (model) {
    // Folders that hold a model come first: a path relative to gla.yaml keeps working when the dataset is copied.
    const folders = (await nearbyModelFolders(context.file.folders.root)).map((f, i) => ({
      label: f,
      kind: CompletionItemKind.Folder,
      detail: 'model folder (relative to this gla.yaml)',
      sortText: `0${String(i).padStart(5, '0')}`,
      textEdit: { range: replace(model[0].length), newText: yamlScalar(f) },
    }));
    const ids = listModels().map((m) => ({
      label: m.id,
      kind: CompletionItemKind.Value,
      detail: m.description,
      sortText: `1${m.id}`,
      textEdit: { range: replace(model[0].length), newText: m.id },
    }));
    return [...folders, ...ids];
  }

  const key = enclosingTopLevelKey(lines, position.line);
  const folderValue = /^(\s*(?:-\s+)?folder:\s*)(\S*)$/.exec(before);
  const bareItem = /^(\s*-\s+)([^:#{[]*)$/.exec(before);
  if (folderValue || (bareItem && key === 'classes')) {
    const from = (folderValue ?? bareItem)![1].length;
    const listed = new Set((context.file.classes ?? []).filter((c) => c.folderRange.start.line !== position.line).map((c) => c.folder));
    return context.file.folders.classFolders
      .filter((f) => !listed.has(f))
      .map((f, i) => ({
        label: f,
        kind: CompletionItemKind.Folder,
        detail: 'class folder',
        sortText: String(i).padStart(6, '0'),
        textEdit: { range: replace(from), newText: yamlScalar(f) },
      }));
  }

  if (key === 'templates' || /^templates:/.test(before)) {
    const sets = Object.entries(TEMPLATE_SETS).map(([name, list]) => ({
      label: name,
      kind: CompletionItemKind.Module,
      detail: `template set: ${list.length} template${list.length === 1 ? '' : 's'}`,
      documentation: list.slice(0, 3).join('\n') + (list.length > 3 ? '\n…' : ''),
    }));
    // Inside a template's text only the placeholder fits; at an item's start a set name does too.
    const atItemStart = /^\s*-\s*$/.test(before) || /[[,]\s*$/.test(before);
    return [...(atItemStart ? sets : []), {
      label: CLASS_PLACEHOLDER,
      kind: CompletionItemKind.Snippet,
      detail: 'where the class name goes',
      documentation: 'Each template is filled with every class’s prompt, e.g. "a photo of a {}." → "a photo of a golden retriever."',
      insertText: CLASS_PLACEHOLDER,
    }];
  }

  if (/^[A-Za-z]*$/.test(before)) {
    const present = new Set(lines.map((l) => /^([A-Za-z_]\w*)\s*:/.exec(l)?.[1]));
    return TOP_LEVEL_KEYS.filter((k) => !present.has(k.key)).map((k) => ({
      label: k.key,
      kind: CompletionItemKind.Property,
      detail: k.detail,
      textEdit: { range: replace(0), newText: `${k.key}:${k.key === 'classes' || k.key === 'templates' ? '\n  - ' : ' '}` },
    }));
  }
  return [];
}
