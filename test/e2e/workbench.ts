// The VS Code workbench in Chromium (playwright-core), driven the way a user drives it: palette, Quick Open, file
// dialog, Problems view, notifications, theme picker. harness.ts starts what it talks to.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../helpers/paths';
import { STATUS_ITEM_SELECTOR, chromiumPath, screenshotsDir, sleep, waitFor, type CodeServer, type Theme } from './harness';

/** How the Color Theme picker labels the themes harness.ts seeds. */
const THEME_LABELS: Record<Theme, string> = { light: 'Light Modern', dark: 'Dark Modern' };

export interface Problem {
  severity: 'Error' | 'Warning' | 'Info' | string;
  message: string;
  /** 1-based, as the Problems view shows it. */
  line?: number;
  file?: string;
  /** The row's full accessible label. */
  label: string;
}

/** A browser page on the VS Code workbench, with the moves a user makes. */
export class Workbench {
  private constructor(
    readonly browser: Browser,
    readonly page: Page,
  ) {}

  static async open(server: CodeServer, folder: string): Promise<Workbench> {
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url(folder));
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    return new Workbench(browser, page);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }

  /** Developer: Reload Window, waiting for the workbench to come back. */
  async reloadWindow(): Promise<void> {
    const reloaded = this.page.waitForEvent('load', { timeout: 60_000 });
    await this.runCommand('Developer: Reload Window');
    await reloaded;
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  }

  /** Gives the workbench keyboard focus: a click on an empty spot of the title bar (never inside a webview). */
  async focusWorkbench(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.locator('.monaco-workbench .part.titlebar').click({ position: { x: 250, y: 12 } });
  }

  /** Runs a command from the palette by its title, e.g. "GLA: Create gla.yaml". */
  async runCommand(title: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    // A webview taking focus back can close the palette between F1 and typing: open it again, a few times.
    for (let attempt = 1; ; attempt++) {
      await this.focusWorkbench();
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        await input.fill(`>${title}`, { timeout: 5_000 });
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
  }

  /** Opens a workspace file by its path relative to the workspace folder, through Quick Open. */
  async openFile(relativePath: string): Promise<void> {
    await this.focusWorkbench();
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor({ state: 'visible' });
    await input.fill(relativePath);
    const parts = relativePath.split('/');
    const name = parts.pop()!;
    // Quick Open rows read "<name>, <folder>"; wait until the first (focused) row is the right file, then take it.
    const folder = parts.join('/');
    const first = this.page.locator('.quick-input-list .monaco-list-row').first();
    await waitFor(`${relativePath} first in Quick Open`, async () => {
      const label = (await first.getAttribute('aria-label').catch(() => null)) ?? '';
      return label.startsWith(name) && (folder === '' || label.includes(folder)) ? true : undefined;
    });
    await this.page.keyboard.press('Enter');
    // The breadcrumbs above the editor name every folder of the active file.
    await waitFor(`${relativePath} in the editor`, async () => {
      const crumbs = (await this.page.locator('.editor-group-container.active .breadcrumbs-control').first().textContent()) ?? '';
      return [...parts, name].every((p) => crumbs.includes(p)) ? true : undefined;
    });
  }

  /** Answers VS Code's simple file dialog (the one a browser workbench shows) with a folder path. */
  async chooseInFileDialog(path: string, okLabel: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor({ state: 'visible' });
    // The dialog fills in its start folder asynchronously; typing before that would be overwritten.
    await waitFor('the file dialog to show its start folder', async () => ((await input.inputValue()).startsWith('/') ? true : undefined));
    const value = path.endsWith('/') ? path : `${path}/`;
    // It may also reset the value once its first listing arrives: type until the path stays put.
    await waitFor('the file dialog to keep the path', async () => {
      if ((await input.inputValue()) !== value) await input.fill(value);
      await sleep(400);
      return (await input.inputValue()) === value ? true : undefined;
    });
    await this.page.locator('.quick-input-widget .monaco-button', { hasText: okLabel }).click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** Answers the simple file dialog with a file's path (Open or Save), then presses its OK button. */
  async answerFileDialog(path: string, okLabel: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor({ state: 'visible' });
    await waitFor('the file dialog to show its start folder', async () => ((await input.inputValue()).startsWith('/') ? true : undefined));
    await waitFor('the file dialog to keep the path', async () => {
      if ((await input.inputValue()) !== path) await input.fill(path);
      await sleep(400);
      return (await input.inputValue()) === path ? true : undefined;
    });
    await this.page.locator('.quick-input-widget .monaco-button', { hasText: okLabel }).click();
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** The active editor's cursor as the status bar shows it ("Ln 7, Col 24 (11 selected)"), 1-based. */
  async editorCursor(): Promise<{ line: number; column: number; selected: number } | undefined> {
    const text = (await this.page.locator('[id="status.editor.selection"]').textContent().catch(() => null)) ?? '';
    const m = text.match(/Ln (\d+), Col (\d+)(?: \((\d+) selected\))?/);
    return m ? { line: Number(m[1]), column: Number(m[2]), selected: Number(m[3] ?? 0) } : undefined;
  }

  /** Gives the bias panel (or any webview) the whole window: no side bar, no panel, nothing but the active editor. */
  async makeRoomForEditor(): Promise<void> {
    // Both commands are offered only while their part is shown.
    if (await this.page.locator('.monaco-workbench .part.panel').isVisible()) await this.runCommand('View: Hide Panel');
    if (await this.page.locator('.monaco-workbench .part.sidebar').isVisible()) await this.runCommand('View: Close Primary Side Bar');
    await this.page.locator('.monaco-workbench .part.sidebar').waitFor({ state: 'hidden' });
  }

  /** The title of the active editor tab in the active editor group. */
  async activeTabTitle(): Promise<string> {
    return ((await this.page.locator('.editor-group-container.active .tab.active .label-name').first().textContent().catch(() => null)) ?? '').trim();
  }

  /** Switches the color theme the way a user does, through "Preferences: Color Theme". */
  async setTheme(theme: Theme): Promise<void> {
    await this.runCommand('Preferences: Color Theme');
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.fill(THEME_LABELS[theme]);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: THEME_LABELS[theme] }).first().waitFor({ state: 'visible' });
    await this.page.keyboard.press('Enter');
    const marker = theme === 'dark' ? 'vs-dark' : ' vs ';
    await waitFor(`the ${theme} theme`, async () => (` ${(await this.page.locator('.monaco-workbench').getAttribute('class')) ?? ''} `.includes(marker) ? true : undefined));
  }

  /** Right-clicks an Explorer row by its name and returns the context menu's entries (the menu is closed again). */
  async explorerContextMenu(name: string): Promise<string[]> {
    const row = this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
    await row.click({ button: 'right' });
    const menu = this.page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible' });
    const entries = (await menu.locator('.action-label').allTextContents()).map((t) => t.trim()).filter(Boolean);
    await this.page.keyboard.press('Escape');
    return entries;
  }

  async statusText(): Promise<string> {
    return (await this.page.locator(STATUS_ITEM_SELECTOR).textContent())?.trim() ?? '';
  }

  async statusLabel(): Promise<string> {
    return (await this.page.locator(STATUS_ITEM_SELECTOR).getAttribute('aria-label')) ?? '';
  }

  /** Opens the Problems view and reads every row it lists. */
  async problems(): Promise<Problem[]> {
    await this.showProblems();
    const labels = await this.page.$$eval('.markers-panel .monaco-list-row', (rows) => rows.map((r) => r.getAttribute('aria-label') ?? ''));
    const out: Problem[] = [];
    let file: string | undefined;
    for (const label of labels) {
      const fileRow = label.match(/problems? in file (.+?) of folder/);
      if (fileRow) {
        file = fileRow[1];
        continue;
      }
      const m = label.match(/^(Error|Warning|Info): (.*?)(?: at line (\d+) and character \d+)?\.?(?: generated by .*)?$/s);
      if (m) out.push({ severity: m[1], message: m[2], line: m[3] ? Number(m[3]) : undefined, file, label });
    }
    return out;
  }

  async showProblems(): Promise<void> {
    if (!(await this.page.locator('.markers-panel').isVisible())) {
      await this.focusWorkbench();
      await this.page.keyboard.press('Control+Shift+M');
      await this.page.locator('.markers-panel').waitFor({ state: 'visible' });
    }
  }

  /** Polls the Problems view until `accept` holds; returns the rows, or throws with the last rows seen. */
  async waitForProblems(accept: (problems: Problem[]) => boolean, timeoutMs = 20_000): Promise<Problem[]> {
    const deadline = Date.now() + timeoutMs;
    let last: Problem[] = [];
    while (Date.now() < deadline) {
      last = await this.problems();
      if (accept(last)) return last;
      await sleep(300);
    }
    throw new Error(`e2e: the Problems view did not show what was expected within ${timeoutMs} ms; it showed:\n${JSON.stringify(last, null, 2)}`);
  }

  /** Texts of the notifications on screen: the toasts, and the notification centre's list when it is open. */
  async notifications(): Promise<string[]> {
    return this.page.$$eval('.notifications-toasts .notification-toast, .notifications-center.visible .notification-list-item', (els) =>
      els.map((e) => e.textContent ?? ''),
    );
  }

  async waitForNotification(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = await this.notifications();
      const hit = seen.find((t) => pattern.test(t));
      if (hit) return hit;
      await sleep(200);
    }
    throw new Error(`e2e: no notification matched ${pattern} within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`);
  }

  async waitForNoNotification(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await waitFor(`no notification matching ${pattern}`, async () => ((await this.notifications()).some((t) => pattern.test(t)) ? undefined : true), timeoutMs);
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  /** Text of the active editor, as rendered (lines joined by \n). */
  async editorText(): Promise<string> {
    return this.page.$eval('.editor-instance .monaco-editor .view-lines', (el) =>
      Array.from(el.querySelectorAll('.view-line'))
        .map((l) => ({ top: parseFloat((l as HTMLElement).style.top), text: (l.textContent ?? '').replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text)
        .join('\n'),
    );
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(screenshotsDir, { recursive: true });
    const path = join(screenshotsDir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}

/** Where a failing step leaves its screenshot (git-ignored, like screenshotsDir). */
export const failuresDir = join(repoRoot, 'out', 'test', 'e2e', 'failures');

/** Runs a test step; when it fails, saves what the browser showed into out/test/e2e/failures/ before rethrowing. */
export async function withFailureScreenshot<T>(wb: Workbench | undefined, name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (wb) {
      mkdirSync(failuresDir, { recursive: true });
      const path = join(failuresDir, `${name.replace(/[^\w.-]+/g, '-').slice(0, 80)}.png`);
      await wb.page.screenshot({ path }).catch(() => undefined);
      if (err instanceof Error) err.message += `\n(screenshot: ${path})`;
    }
    throw err;
  }
}

