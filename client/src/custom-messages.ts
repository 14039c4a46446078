// protocol.ts's descriptors over vscode-languageclient's LanguageClient: a handler gets the descriptor's params type.
// Type imports only, so the worker's activation path still loads vscode-languageclient lazily.
import type { Disposable } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { NotificationType } from '../../server/src/protocol';

/** Handles a server→client notification. */
export function onServerNotification<P>(client: LanguageClient, message: NotificationType<P, 'server→client'>, handler: (params: P) => void): Disposable {
  return client.onNotification(message.method, handler);
}
