// GLA: Download Model… — runs the bundled `gla model download` (the CLI's pinned surface) into the extension's cache,
// with its progress in a cancellable notification. Cancel keeps the partial files, so the next try resumes.
import { fork } from 'node:child_process';
import * as vscode from 'vscode';
import { listModels } from '../../../server/src/clip/models/registry';
import { offerLog, type GlaContext } from '../gla-context';
import { SETTINGS_SECTION, effectiveCacheDir, readSettings } from '../settings';

export async function downloadModel(ctx: GlaContext, id?: unknown): Promise<boolean> {
  if (!vscode.workspace.isTrusted) {
    const choice = await vscode.window.showWarningMessage('GLA: nothing is downloaded in Restricted Mode. Trust this workspace to download models.', 'Manage Workspace Trust');
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    return false;
  }
  let model = typeof id === 'string' ? id : undefined;
  if (!model) {
    const current = readSettings().model;
    const picked = await vscode.window.showQuickPick(
      listModels().map((m) => ({ label: m.id, description: m.description, detail: m.repo, picked: m.id === current })),
      { title: 'GLA: Download Model', placeHolder: 'Which CLIP model?' },
    );
    model = picked?.label;
  }
  if (!model) return false;
  const cacheDir = effectiveCacheDir(ctx.extension);
  const cli = ctx.extension.asAbsolutePath('dist/cli.js');
  ctx.output.info(`download ${model} into ${cacheDir}`);

  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `GLA: downloading ${model}`, cancellable: true },
    (progress, token) =>
      new Promise<{ code: number | null; lastLine: string }>((resolve) => {
        const child = fork(cli, ['model', 'download', model, '--cache-dir', cacheDir], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
        let lastLine = '';
        const onText = (chunk: Buffer) => {
          for (const line of chunk.toString('utf8').split(/[\r\n]+/)) {
            const text = line.trim();
            if (!text) continue;
            lastLine = text;
            ctx.output.info(`download: ${text}`);
            progress.report({ message: text.length > 120 ? `${text.slice(0, 117)}…` : text });
          }
        };
        child.stdout?.on('data', onText);
        child.stderr?.on('data', onText);
        // The CLI treats SIGTERM like Ctrl-C: it stops cleanly and keeps the .part files for a resume.
        const cancel = token.onCancellationRequested(() => child.kill('SIGTERM'));
        child.on('error', (err) => {
          lastLine = err.message;
        });
        child.on('close', (code) => {
          cancel.dispose();
          resolve({ code, lastLine });
        });
      }),
  );
  if (outcome.code === 0) {
    const actions = readSettings().model === model ? [] : ['Use This Model'];
    void vscode.window.showInformationMessage(`GLA: ${model} is downloaded.`, ...actions).then((choice) => {
      if (choice) void vscode.workspace.getConfiguration(SETTINGS_SECTION).update('model', model, vscode.ConfigurationTarget.Global);
    });
    return true;
  }
  if (outcome.code === 130) {
    void vscode.window.showInformationMessage(`GLA: download of ${model} cancelled; run it again to resume.`);
  } else {
    void vscode.window.showErrorMessage(`GLA: ${outcome.lastLine.replace(/^gla( model download)?: /, '') || `download of ${model} failed`}`, 'Show Log').then((c) => offerLog(ctx, c));
  }
  return false;
}
