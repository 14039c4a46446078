/**
 * Runs `work` with Ctrl-C (and SIGTERM) wired to an AbortSignal: the first interrupt cancels cleanly (caches
 * keep what was done, no half-written output), a second one quits at once.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) return quitNow(signal);
    process.stderr.write('\ncancelling… (press Ctrl-C again to quit at once)\n');
    controller.abort();
    // The signals' default action is back from now on, so a second one ends the process in the kernel even while
    // JavaScript is busy in a long computation or libuv's threads are blocked in a read.
    stopListening();
  };
  const stopListening = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    stopListening();
  }
}

/** Dies of the signal itself, as an interrupted Unix tool does (process.exit() would wait for blocked threads). */
function quitNow(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  // Should the default action be masked, nothing can block SIGKILL.
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 500);
  process.kill(process.pid, signal);
}
