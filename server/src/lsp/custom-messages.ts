// protocol.ts's descriptors over vscode-languageserver's Connection: the descriptor fixes the params and result types.
import {
  ErrorCodes, ResponseError, type CancellationToken, type Connection, type ExecuteCommandParams, type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import type { CommandType, NotificationType } from '../protocol';

/** Sends a server→client notification; params must be the descriptor's. */
export function notifyClient<P>(connection: Connection, message: NotificationType<P, 'server→client'>, params: NoInfer<P>): Promise<void> {
  return connection.sendNotification(message.method, params);
}

/** Runs a command from its raw arguments (checked by the handler, after the trust check) and answers its result. */
export type CommandHandler<R> = (rawArgs: unknown, token: CancellationToken, workDone: WorkDoneProgressReporter) => Promise<R>;

/** One workspace/executeCommand command the server registers, with its handler. */
export interface CommandRoute {
  readonly command: string;
  readonly run: CommandHandler<unknown>;
}

/** Binds a handler to a command descriptor; the handler must answer the descriptor's result type. */
export function commandRoute<A, R>(command: CommandType<A, R>, run: CommandHandler<NoInfer<R>>): CommandRoute {
  return { command: command.command, run };
}

/** Runs the route `params.command` names; an unregistered command is InvalidParams. */
export async function executeCommand(
  routes: readonly CommandRoute[], params: ExecuteCommandParams, token: CancellationToken, workDone: WorkDoneProgressReporter,
): Promise<unknown> {
  const route = routes.find((r) => r.command === params.command);
  if (!route) throw new ResponseError(ErrorCodes.InvalidParams, `GLA: unknown command ${String(params.command)}`);
  return route.run(params.arguments?.[0], token, workDone);
}
