// The panel script's first instant, for the first-paint figure. Imported first by panel.ts, so it runs first.
export const scriptStart = performance.now();

/** Resolves just after the browser has painted the frame that shows what was rendered before the call. */
export function afterNextPaint(): Promise<number> {
  // requestAnimationFrame runs before the frame's paint; a task queued from it runs once that frame is out.
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)));
}
