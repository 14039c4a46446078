// GLA: Select Fine-tuned Model… — the user's own fine-tuned classifier (a Hugging Face image-classification ONNX
// folder) or its logits (PREFIX.npy + PREFIX.json), calibrated with GLA instead of the run's linear probe; written to
// gla.finetuned. "Use the linear probe" clears it.
import * as vscode from 'vscode';
import type { GlaContext } from '../gla-context';
import { settingTarget } from '../record-model-choice';
import { SETTINGS_SECTION, readSettings } from '../settings';

type Choice = 'folder' | 'logits' | 'probe';

interface FinetunedItem extends vscode.QuickPickItem {
  choice: Choice;
}

/** A logits file's PREFIX: the path without its .npy (the engine reads PREFIX.npy and PREFIX.json). */
export function logitsPrefix(npyPath: string): string {
  return npyPath.replace(/\.npy$/i, '');
}

export async function selectFinetuned(ctx: GlaContext): Promise<string | undefined> {
  const current = readSettings().finetuned.trim();
  const items: FinetunedItem[] = [
    {
      label: '$(folder-opened) Choose a model folder…',
      detail: 'A Hugging Face image-classification ONNX export: onnx/model.onnx, preprocessor_config.json, config.json with id2label',
      choice: 'folder',
    },
    {
      label: '$(file) Choose a logits file…',
      detail: "Your model's logits: PREFIX.npy (one row per image) with PREFIX.json beside it ({paths[], classes[]?})",
      choice: 'logits',
    },
    {
      label: `${current ? '' : '$(check) '}Use the linear probe`,
      detail: "The run's own linear probe on the CLIP embeddings (the default)",
      choice: 'probe',
    },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: 'GLA: Select Fine-tuned Model',
    placeHolder: `Current: ${current || 'the linear probe'}`,
  });
  if (!picked) return undefined;
  let value: string;
  if (picked.choice === 'folder') {
    const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use This Model', title: 'Choose a fine-tuned model folder' });
    if (!folder?.[0]) return undefined;
    value = folder[0].fsPath;
  } else if (picked.choice === 'logits') {
    const file = await vscode.window.showOpenDialog({ canSelectFolders: false, canSelectFiles: true, canSelectMany: false, filters: { 'Logits (.npy)': ['npy'] }, openLabel: 'Use These Logits', title: 'Choose a logits .npy file' });
    if (!file?.[0]) return undefined;
    value = logitsPrefix(file[0].fsPath);
  } else {
    value = '';
  }
  // In Restricted Mode a workspace value of gla.finetuned is ignored (restrictedConfigurations), so write the user's.
  // Never the dataset's own .vscode: a dataset opened as the workspace gets the user's settings.
  const target = settingTarget();
  const where = target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user';
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  // Clearing removes the value, unless the user's settings hold one beneath the workspace's: then '' overrides it.
  const beneath = target === vscode.ConfigurationTarget.Workspace ? config.inspect<string>('finetuned')?.globalValue : undefined;
  await config.update('finetuned', value || (beneath ? '' : undefined), target);
  if (value) {
    ctx.output.info(`gla.finetuned set to ${value} (${where} settings)`);
    // Notifications show no Markdown: plain words, no backticks.
    void vscode.window.showInformationMessage(`GLA: fine-tuned model set to ${value} in your ${where} settings. A finetuned: line in gla.yaml still takes precedence.`);
  } else {
    ctx.output.info(`gla.finetuned cleared (${where} settings): runs use the linear probe`);
    void vscode.window.showInformationMessage('GLA: runs use the linear probe. A finetuned: line in gla.yaml still takes precedence.');
  }
  return value;
}
