// The bias panel's page: an empty shell that loads media/panel.css and the bundled panel script, under a strict
// Content-Security-Policy. No data goes into the HTML; the script asks for it over comlink. No vscode import.
import { randomBytes } from 'node:crypto';

export interface PanelPage {
  /** webview.cspSource */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  /** For the window title only; escaped. */
  title: string;
}

/** A fresh nonce per page: the only script that runs is the one carrying it. */
export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

export function panelHtml(page: PanelPage, nonce = newNonce()): string {
  // No inline script or style, no eval, nothing remote: scripts only by nonce, styles, images and fonts only from
  // the extension and the dataset folder (the webview's localResourceRoots).
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${page.cspSource}`,
    `img-src ${page.cspSource}`,
    `font-src ${page.cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<link rel="stylesheet" href="${escapeHtml(page.styleUri)}">
</head>
<body>
<main id="app" aria-busy="true"><p class="loading">Loading the bias panel…</p></main>
<script nonce="${nonce}" src="${escapeHtml(page.scriptUri)}"></script>
</body>
</html>`;
}

/** Names are data: they render as text, never as markup. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
