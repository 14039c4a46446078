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

/** A cancellation signal that plain-data layers (engine, clip, store) accept without knowing about LSP or the CLI. */
export interface CancelSignal {
  readonly cancelled: boolean;
}

export function throwIfCancelled(signal: CancelSignal | undefined): void {
  if (signal?.cancelled) throw new CancelledError();
}

/** One line describing any thrown value, for `failed` lists and stderr. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}
