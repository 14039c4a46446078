// The bias panel's page inside the workbench (a webview: two nested iframes), read and driven the way a user sees
// and uses it. Rows are virtualised, so "the rows" are the ones in the DOM, in table order.
import type { Frame, Locator } from 'playwright-core';
import { waitFor } from './harness';
import type { Workbench } from './workbench';

export interface PanelRow {
  /** 0-based position in the table. */
  position: number;
  name: string;
  q: string;
  bias: string;
  gain?: string;
  support?: string;
  issues?: string;
  label: string;
  focused: boolean;
}

/** Numbers as the panel prints them ("−1.23", "4.5e−5", "75%") back to numbers. */
export function panelNumber(text: string): number {
  return Number(text.replace(/−/g, '-').replace(/%$/, '').replace(/^\+/, ''));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class BiasPanelView {
  private constructor(readonly frame: Frame) {}

  /**
   * The visible bias panel of this kind, once it has painted. Other webviews (an image preview) may be open too, so
   * the panel's frame is found by what it holds, not by position.
   */
  static async find(wb: Workbench, kind: 'run' | 'profile', source?: RegExp, timeoutMs = 20_000): Promise<BiasPanelView> {
    return waitFor(
      `the ${kind} bias panel to paint`,
      async () => {
        for (const frame of wb.page.frames()) {
          const painted = await frame
            .evaluate(() => (document.body?.dataset.firstPaintMs ? [document.body.dataset.panel, document.querySelector('.source')?.textContent ?? ''] : undefined))
            .catch(() => undefined);
          if (painted?.[0] !== kind || (source && !source.test(painted[1] ?? ''))) continue;
          // Both iframes (the webview's host frame and its content frame) must be on screen. A frame may go away
          // while we look (a panel being hidden): then it is not the one.
          const inner = await frame.frameElement().catch(() => undefined);
          const outer = await frame.parentFrame()?.frameElement().catch(() => undefined);
          const visible = async (e: typeof inner) => (e ? e.isVisible().catch(() => false) : true);
          if (inner && (await visible(inner)) && (await visible(outer))) return new BiasPanelView(frame);
        }
        return undefined;
      },
      timeoutMs,
    );
  }

  locator(selector: string, options?: { hasText?: string | RegExp }): Locator {
    return this.frame.locator(selector, options);
  }

  /**
   * Scrolls the page so the table's top is in the top third of the screen (the cards and images come first), unless it already is.
   * Rows off screen are not in the DOM.
   */
  async showTable(): Promise<void> {
    const moved = await this.frame.evaluate(() => {
      const table = document.querySelector('.classes')!.getBoundingClientRect();
      // Near the bottom only a few rows would be in the DOM: the table's top goes to the top third at most.
      if (table.top >= 0 && table.top < window.innerHeight / 3) return false;
      if (table.top < 0 && table.bottom > window.innerHeight) return false;
      document.querySelector('.classes')!.scrollIntoView({ block: 'start' });
      return true;
    });
    if (moved) await this.frame.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }

  /** The rows in the DOM, in table order (after bringing the table on screen). */
  async rows(): Promise<PanelRow[]> {
    await this.showTable();
    const rows = await this.frame.$$eval('.rows .row', (els) =>
      els.map((el) => {
        const text = (sel: string) => el.querySelector(sel)?.textContent?.trim() ?? undefined;
        return {
          position: Number(el.getAttribute('aria-rowindex')) - 2,
          name: text('.name') ?? '',
          q: text('.c-q') ?? '',
          bias: text('.c-bias') ?? '',
          gain: text('.c-gain'),
          support: text('.c-support'),
          issues: text('.c-issues'),
          label: el.getAttribute('aria-label') ?? '',
          focused: el === document.activeElement,
        };
      }),
    );
    return rows.sort((a, b) => a.position - b.position);
  }

  /** How many classes the table holds (aria-rowcount counts the header row too). */
  async rowCount(): Promise<number> {
    return Number(await this.frame.locator('[role="grid"]').getAttribute('aria-rowcount')) - 1;
  }

  async row(name: string): Promise<Locator> {
    await this.showTable();
    return this.frame.locator('.rows .row').filter({ has: this.frame.locator('.name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
  }

  sortButton(label: string): Locator {
    return this.frame.locator('[role="columnheader"] button.sort').filter({ has: this.frame.locator('.label', { hasText: new RegExp(`^${escapeRegExp(label)}`) }) });
  }

  toggle(label: string): Locator {
    return this.frame.locator('.filters button.toggle', { hasText: new RegExp(`^${escapeRegExp(label)}`) });
  }

  async status(): Promise<string> {
    return ((await this.frame.locator('.status').textContent()) ?? '').trim();
  }

  async waitForStatus(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(`the panel's status to match ${pattern}`, async () => {
      const s = await this.status();
      return pattern.test(s) ? s : undefined;
    }, timeoutMs);
  }

  /** The thumbnails of one list ("Suspected mislabelled", "Misclassified by GLA"). */
  thumbnails(list: string): Locator {
    return this.frame.locator(`.strip[aria-label^="${list}"] button.thumb`);
  }

  /** The summary cards' headings and their bar values ("zero-shot" → "41.7%"). */
  async cards(): Promise<{ title: string; subtitle: string; values: Record<string, string> }[]> {
    return this.frame.$$eval('.card', (cards) =>
      cards.map((card) => {
        const values: Record<string, string> = {};
        const dts = card.querySelectorAll('dt');
        const dds = card.querySelectorAll('dd');
        dts.forEach((dt, i) => (values[(dt.textContent ?? '').trim()] = (dds[i]?.querySelector('.value')?.textContent ?? dds[i]?.textContent ?? '').trim()));
        return { title: card.querySelector('h3')?.textContent?.trim() ?? '', subtitle: card.querySelector('.sub')?.textContent?.trim() ?? '', values };
      }),
    );
  }
}
