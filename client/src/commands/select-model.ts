// GLA: Select Model… — a known CLIP id from the registry, or a local model folder; written to gla.model.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { listModels } from '../../../server/src/clip/models/registry';
import { modelsDir } from '../../../server/src/store/cache-dir';
import type { GlaContext } from '../gla-context';
import { recordModelChoice } from '../record-model-choice';
import { effectiveCacheDir, readSettings } from '../settings';

interface ModelItem extends vscode.QuickPickItem {
  model?: string;
}

export async function selectModel(ctx: GlaContext): Promise<string | undefined> {
  const current = readSettings().model;
  const cacheDir = effectiveCacheDir(ctx.extension);
  const items: ModelItem[] = [];
  for (const m of listModels()) {
    const dir = join(modelsDir(cacheDir), m.id);
    // Downloaded means both towers of some variant are there (a cancelled download leaves only .part files).
    const variants = Object.values(m.variants);
    const cached = (await Promise.all(variants.map(async (v) => (await isFile(join(dir, v.vision.path))) && (await isFile(join(dir, v.text.path)))))).some(Boolean);
    items.push({
      label: `${m.id === current ? '$(check) ' : ''}${m.id}`,
      description: m.description,
      detail: `${m.dim}-d embeddings · ${cached ? 'downloaded' : `downloads from ${m.repo} on first use`}`,
      model: m.id,
    });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(folder-opened) Choose a model folder…', detail: 'A CLIP export in the Hugging Face ONNX layout (onnx/vision_model.onnx, onnx/text_model.onnx, tokenizer files)' });
  const picked = await vscode.window.showQuickPick(items, { title: 'GLA: Select Model', placeHolder: `Current: ${current}`, matchOnDescription: true });
  if (!picked) return undefined;
  let model = picked.model;
  if (!model) {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use This Model', title: 'Choose a CLIP model folder' });
    if (!folder?.[0]) return undefined;
    model = folder[0].fsPath;
  }
  const where = await recordModelChoice(model);
  if (!where) return undefined;
  ctx.output.info(`model set to ${model} in ${where}`);
  void vscode.window.showInformationMessage(`GLA: model set to ${model} in ${where}.`);
  return model;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
