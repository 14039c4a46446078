/** A problem with what the user gave us (a file, a flag, a manifest): shown as one clear line, never a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
    this.name = 'UserError';
  }
}

/** Raised when the user cancels a long operation; callers leave caches consistent before it propagates. */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** Layers below the CLI and LSP take a standard AbortSignal for cancellation; this turns it into our error. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** One line describing any thrown value, for `failed` lists and stderr. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}
