// The text of a new gla.yaml, scaffolded from a dataset's class folders (DESIGN.md, "gla.yaml"). No vscode import.
import { WORDNET_ID, type SplitName } from '../../server/src/dataset/manifest';

export interface ScaffoldInput {
  /** Class folder names in dataset order. */
  classFolders: readonly string[];
  /** Split folder names that exist, relative to the dataset folder. */
  splits: Partial<Record<SplitName, string>>;
  model: string;
}

/** A YAML scalar that stays a string whatever the folder is called ("yes", "123", "a: b", "#tag"). */
export function yamlString(value: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_ .()'-]*$/.test(value) && !/^(y|yes|n|no|true|false|on|off|null|~)$/i.test(value) && !/\s$/.test(value);
  return plain ? value : JSON.stringify(value);
}

/** A prompt suggestion: the folder name, underscores as spaces. WordNet ids get none, so the editor flags them. */
export function suggestedPrompt(folder: string): string | undefined {
  if (WORDNET_ID.test(folder)) return undefined;
  const words = folder.replace(/_/g, ' ').trim();
  return words || undefined;
}

export function scaffoldManifest(input: ScaffoldInput): string {
  const lines = [
    '# GLA dataset manifest. Each class is a folder of images; `prompt:` is the name CLIP reads in its prompts.',
    '# Edit the prompts into plain words: they decide how well zero-shot CLIP recognises each class.',
    `model: ${yamlString(input.model)}`,
    '# finetuned: ../my-classifier   # your own fine-tuned model (HF image-classification ONNX folder, or logits PREFIX); default: a linear probe',
    'classes:',
  ];
  for (const folder of input.classFolders) {
    lines.push(`  - folder: ${yamlString(folder)}`);
    const prompt = suggestedPrompt(folder);
    if (prompt !== undefined) lines.push(`    prompt: ${yamlString(prompt)}`);
    else lines.push('    # prompt: a plain name for this class (a WordNet id means nothing to CLIP)');
  }
  lines.push('# templates: ["a photo of a {}."]   # default: CLIP\'s template ensemble');
  const splits = Object.entries(input.splits);
  if (splits.length) lines.push(`splits: {${splits.map(([k, v]) => `${k}: ${yamlString(v)}`).join(', ')}}`);
  else lines.push('# splits: {train: train, val: val, test: test}   # default: a seeded stratified split');
  return `${lines.join('\n')}\n`;
}
