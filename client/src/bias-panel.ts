// The bias panel's host: one webview panel per window, showing the last run's report.
// INTERIM: the real panel (charts, sort/filter, thumbnails, comlink, media/ assets) is the next issue. Until then
// this renders a static, script-free table of the report with a strict CSP, so the command already shows something
// true and the host class (panel lifecycle, CSP, resource roots) is in place for the real one.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { ClassReport, ModelKind, Report } from '../../server/src/engine/report';
import type { RunRecord } from './last-run';
import { percent } from './run-summary-text';

export class BiasPanel implements vscode.Disposable {
  static readonly viewType = 'gla.biasPanel';
  private panel: vscode.WebviewPanel | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {}

  async show(run: RunRecord): Promise<void> {
    let report: Partial<Report>;
    try {
      report = JSON.parse(await readFile(run.reportPath, 'utf8')) as Partial<Report>;
    } catch (err) {
      void vscode.window.showErrorMessage(`GLA: cannot read ${run.reportPath}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel(BiasPanel.viewType, 'GLA Bias Panel', vscode.ViewColumn.Active, {
        enableScripts: false,
        // Links in the page may run only this command.
        enableCommandUris: ['gla.openLastReport'],
        localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'media')],
      });
      this.panel.onDidDispose(() => (this.panel = undefined));
    } else {
      this.panel.reveal();
    }
    this.panel.title = `GLA Bias · ${report.runId ?? 'last run'}`;
    this.panel.webview.html = interimHtml(this.panel.webview, report);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

const MODEL_LABELS: [ModelKind, string][] = [
  ['zeroShot', 'zero-shot'],
  ['debiased', 'debiased'],
  ['finetuned', 'fine-tuned'],
  ['gla', 'GLA'],
];

function interimHtml(webview: vscode.Webview, report: Partial<Report>): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = `default-src 'none'; img-src ${webview.cspSource}; style-src 'nonce-${nonce}';`;
  const biasKey = (c: Partial<ClassReport>) => (Number.isFinite(num(c.bias)) ? num(c.bias) : Infinity); // missing last
  const classes = [...(report.classes ?? [])].sort((a, b) => biasKey(a) - biasKey(b));
  const metrics = MODEL_LABELS.map(([k, label]) => `<td>${escapeHtml(label)}: ${percent(report.metrics?.[k]?.top1)}</td>`).join('');
  const rows = classes.map((c) => classRow(c)).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 16px; }
  table { border-collapse: collapse; }
  th, td { text-align: left; padding: 2px 10px; border-bottom: 1px solid var(--vscode-panel-border); }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  .under { color: var(--vscode-editorWarning-foreground); }
  a { color: var(--vscode-textLink-foreground); }
</style></head>
<body>
<h2>Bias per class</h2>
<p>Run ${escapeHtml(report.runId ?? '?')} · model ${escapeHtml(report.model?.id ?? '?')} · ${classes.length} classes${report.labelFree ? ' · label-free' : ''} · <a href="command:gla.openLastReport">Open report.json</a></p>
<table><tr><th>top-1</th>${metrics}</tr></table>
<h3>Classes, most under-predicted by CLIP first</h3>
<table>
<tr><th>class</th><th>q</th><th>bias (nats)</th><th>support</th><th>recall zero-shot → GLA</th></tr>
${rows}
</table>
</body></html>`;
}

function classRow(c: Partial<ClassReport>): string {
  const support = c.support ? num(c.support.train) + num(c.support.val) + num(c.support.test) : NaN;
  const under = num(c.bias) < 0 ? ' class="under"' : '';
  return `<tr><td${under}>${escapeHtml(c.name ?? '?')}</td><td class="n">${precise(c.prior, 3)}</td><td class="n">${fixed(c.bias, 2)}</td><td class="n">${Number.isFinite(support) ? support : 'n/a'}</td><td>${percent(c.recall?.zeroShot)} → ${percent(c.recall?.gla)}</td></tr>`;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : NaN;
}

function precise(v: unknown, digits: number): string {
  const n = num(v);
  return Number.isFinite(n) ? n.toPrecision(digits) : 'n/a';
}

function fixed(v: unknown, digits: number): string {
  const n = num(v);
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

/** Class and file names are data: they render as text, never as markup. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
