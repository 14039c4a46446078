// The prompt lab: gla.yaml's prompts as typed, scored against the dataset's last run. One evaluation at a time;
// a newer one cancels the one in flight. Plain data in and out, for the lab's thread in the language server.
import { CancelledError, UserError, describeError } from '../../errors';
import { loadRunArtifacts, type RunArtifacts } from '../run-artifacts';
import type { PromptLabRequest, PromptLabResult } from './lab-request';
import { PromptLabSession, changesFrom } from './lab-session';

export class PromptLab {
  private session?: { key: string; opened: Promise<PromptLabSession> };
  private artifacts?: { runDir: string; loaded: Promise<RunArtifacts> };
  private current?: AbortController;
  private queue: Promise<unknown> = Promise.resolve();

  /** Evaluates after the one in flight has stopped; that one is cancelled, since this edit is newer. */
  evaluate(request: PromptLabRequest, signal?: AbortSignal): Promise<PromptLabResult> {
    this.current?.abort();
    const controller = new AbortController();
    this.current = controller;
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const run = this.queue.then(() => this.evaluateNow(request, controller.signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async evaluateNow(request: PromptLabRequest, signal: AbortSignal): Promise<PromptLabResult> {
    if (signal.aborted) throw new CancelledError();
    try {
      const changed = changesFrom(await this.runArtifacts(request.runDir), request);
      if (changed.classes.length === 0 && !changed.templates) {
        // Nothing to show yet; the session warms up so that the first edit costs only its prompts.
        void this.sessionFor(request).catch(() => undefined);
        return { kind: 'unchanged' };
      }
      const session = await this.sessionFor(request);
      if (signal.aborted) throw new CancelledError();
      return await session.evaluate(request, signal);
    } catch (err) {
      if (err instanceof UserError) return { kind: 'notice', message: err.message };
      if (err instanceof CancelledError) throw err;
      return { kind: 'notice', message: `the prompt lab failed: ${describeError(err)}` };
    }
  }

  private runArtifacts(runDir: string): Promise<RunArtifacts> {
    if (this.artifacts?.runDir !== runDir) this.artifacts = { runDir, loaded: loadRunArtifacts(runDir) };
    return this.artifacts.loaded;
  }

  /** The session of the request's run, opened once (a new run, cache or dataset opens a new one). */
  private sessionFor(request: PromptLabRequest): Promise<PromptLabSession> {
    const key = [request.runDir, request.manifestPath, request.cacheDir].join('\0');
    if (this.session?.key !== key) {
      const previous = this.session?.opened;
      void previous?.then((s) => s.close(), () => undefined);
      const opened = PromptLabSession.open(request.runDir, request.manifestPath, request.cacheDir, request.executionProvider);
      this.session = { key, opened };
      // A session that could not open (images changed, model gone) is tried again at the next edit.
      opened.catch(() => {
        if (this.session?.opened === opened) this.session = undefined;
      });
    }
    return this.session.opened;
  }

  async close(): Promise<void> {
    this.current?.abort();
    const session = await this.session?.opened.catch(() => undefined);
    await session?.close();
  }
}
