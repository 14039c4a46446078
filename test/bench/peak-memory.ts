// Peak resident memory of this process (Linux's VmHWM), resettable so each figure measures only its own stage.
import { readFileSync, writeFileSync } from 'node:fs';

/** Resets the peak-RSS mark to the current RSS (Linux ≥ 4.0); false where that is not possible. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS in MiB since start or the last reset; falls back to the current RSS off Linux. */
export function peakRssMiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss / 2 ** 20;
}
