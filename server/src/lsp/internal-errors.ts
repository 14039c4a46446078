// A bug in a handler reaches the client as one plain line; the stack goes to the log only under GLA_DEBUG=1.
import { ErrorCodes, ResponseError } from 'vscode-languageserver';
import { describeError } from '../errors';

/** What the server's log says about an unexpected error: one line, or the stack when GLA_DEBUG is set (as in the CLI). */
export function errorDetail(err: unknown): string {
  if (process.env.GLA_DEBUG && err instanceof Error && err.stack) return err.stack;
  return describeError(err);
}

/**
 * Wraps a request handler: a ResponseError passes as it is; anything else is logged and answered as
 * InternalError "GLA: <what> failed: <first line>", never the library's "Request … failed with message" text.
 */
export function answerInOneLine<A extends unknown[], R>(
  what: string,
  log: (line: string) => void,
  handler: (...args: A) => R | Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await handler(...args);
    } catch (err) {
      if (err instanceof ResponseError) throw err;
      log(`gla: ${what} failed: ${errorDetail(err)}`);
      throw new ResponseError(ErrorCodes.InternalError, `GLA: ${what} failed: ${describeError(err)}`);
    }
  };
}
