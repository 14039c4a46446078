import { formatDuration } from './download-progress';

/**
 * A count progress bar with rate and ETA on stderr: redrawn in place on a terminal, a plain line every few
 * seconds in a log.
 */
export class ProgressBar {
  private lastDraw = -Infinity;
  private drawn = false;
  private readonly started = Date.now();
  private baseline?: { t: number; done: number };

  constructor(
    private readonly label: string,
    private readonly unit: string,
    private readonly tty = Boolean(process.stderr.isTTY),
    private readonly write: (text: string) => void = (t) => process.stderr.write(t),
  ) {}

  /** `skipped` items (e.g. cache hits) finished instantly and do not count towards the rate. */
  update(done: number, total: number, extra = '', skipped = 0): void {
    const now = Date.now();
    if (!this.baseline || done < this.baseline.done) this.baseline = { t: now, done: skipped };
    const every = this.tty ? 100 : 5000;
    if (now - this.lastDraw < every && done < total) return;
    this.lastDraw = now;
    const seconds = (now - this.baseline.t) / 1000;
    const rate = seconds > 0.5 ? (done - this.baseline.done) / seconds : 0;
    const width = 24;
    const filled = total > 0 ? Math.round((width * done) / total) : width;
    const bar = this.tty ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
    const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
    const parts = [`${this.label} ${bar}${done}/${total} (${pct}%)`];
    if (rate > 0) parts.push(`${rate.toFixed(1)} ${this.unit}/s`, `ETA ${formatDuration((total - done) / rate)}`);
    if (extra) parts.push(extra);
    const text = parts.join('  ');
    if (this.tty) {
      this.write(`\r\x1b[K${text}`);
      this.drawn = true;
    } else {
      this.write(`${text}\n`);
    }
  }

  /** Clears the line (on a terminal) and prints a closing note. */
  finish(note?: string): void {
    if (this.tty && this.drawn) this.write('\r\x1b[K');
    this.drawn = false;
    if (note) this.write(`${note}\n`);
  }

  get elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}
