// The progress line of `gla model download` on stderr: redrawn in place on a terminal, occasional lines in a log.
import type { ModelDownloadProgress } from '../clip/models';

export function formatBytes(n: number): string {
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressLineOptions {
  /** Redraw one line in place (a terminal) or print a plain line now and then (a log, a CI job). */
  tty: boolean;
  now?: () => number;
  /** Minimum time between redraws on a terminal. */
  redrawMs?: number;
  /** Minimum time between plain lines in a log. */
  logEveryMs?: number;
}

const RATE_WINDOW_MS = 5000;

export class DownloadProgressLine {
  private readonly now: () => number;
  private lastDraw = -Infinity;
  private lastFile: string | undefined;
  private lastFileDone = 0;
  /** Bytes moved over the network by this run (a resumed .part does not count towards the rate). */
  private transferred = 0;
  private samples: { t: number; bytes: number }[] = [];
  private drawn = false;
  private latest: ModelDownloadProgress | undefined;

  constructor(
    private readonly write: (text: string) => void,
    private readonly label: string,
    private readonly opts: ProgressLineOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  update(p: ModelDownloadProgress): void {
    if (p.file !== this.lastFile) {
      this.lastFile = p.file;
      this.lastFileDone = p.fileDone;
    } else {
      if (p.fileDone > this.lastFileDone) this.transferred += p.fileDone - this.lastFileDone;
      this.lastFileDone = p.fileDone;
    }
    const t = this.now();
    this.samples.push({ t, bytes: this.transferred });
    while (this.samples.length > 2 && this.samples[0].t < t - RATE_WINDOW_MS) this.samples.shift();
    this.latest = p;
    const every = this.opts.tty ? this.opts.redrawMs ?? 100 : this.opts.logEveryMs ?? 5000;
    if (t - this.lastDraw >= every) this.draw(t);
  }

  /** Bytes per second over the last few seconds; 0 until half a second has been seen (early rates are noise). */
  rate(): number {
    if (this.samples.length < 2) return 0;
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    return b.t - a.t >= 500 ? ((b.bytes - a.bytes) * 1000) / (b.t - a.t) : 0;
  }

  /** The text of the progress line for the latest update. */
  text(): string {
    const p = this.latest;
    if (!p) return `${this.label}: starting`;
    const rate = this.rate();
    const parts = [`${this.label}: ${formatBytes(p.done)}`];
    if (p.total !== undefined) {
      const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
      parts[0] += ` / ${formatBytes(p.total)} (${pct}%)`;
    }
    parts.push(`file ${Math.min(p.filesDone + 1, p.filesTotal)}/${p.filesTotal} ${p.file}`);
    if (rate > 0) {
      parts.push(`${formatBytes(rate)}/s`);
      if (p.total !== undefined) parts.push(`ETA ${formatDuration((p.total - p.done) / rate)}`);
    }
    return parts.join('  ');
  }

  private draw(t: number): void {
    this.lastDraw = t;
    if (this.opts.tty) {
      this.write(`\r\x1b[K${this.text()}`);
      this.drawn = true;
    } else {
      this.write(`${this.text()}\n`);
    }
  }

  /** A line that stays: a finished file, a warning. */
  note(line: string): void {
    if (this.opts.tty && this.drawn) this.write('\r\x1b[K');
    this.write(`${line}\n`);
    this.drawn = false;
    if (this.opts.tty && this.latest) this.draw(this.now());
  }

  finish(): void {
    if (this.opts.tty && this.drawn) this.write('\r\x1b[K');
    this.drawn = false;
  }
}
