// comlink's Endpoint over a VS Code webview, on the extension side: webview.postMessage out, onDidReceiveMessage in.
// Only calls of the allowed methods get through: comlink's expose() would otherwise let the page read or set any
// property path of the exposed object (e.g. __proto__), and the page renders data from files we do not control.
import type { Endpoint } from 'comlink';
import type * as vscode from 'vscode';

type Listener = (event: { data: unknown }) => void;

export interface WebviewEndpoint extends Endpoint, vscode.Disposable {}

export function webviewEndpoint(webview: vscode.Webview, allowedCalls: readonly string[]): WebviewEndpoint {
  const subscriptions = new Map<unknown, vscode.Disposable>();
  const allowed = (data: unknown): boolean => {
    const m = data as { type?: unknown; path?: unknown };
    return m?.type === 'APPLY' && Array.isArray(m.path) && m.path.length === 1 && allowedCalls.includes(m.path[0] as string);
  };
  return {
    postMessage: (message: unknown) => void webview.postMessage(message),
    addEventListener: (_type: string, listener: unknown) => {
      const call: Listener =
        typeof listener === 'function' ? (listener as Listener) : (e) => (listener as { handleEvent: Listener }).handleEvent(e);
      subscriptions.set(
        listener,
        webview.onDidReceiveMessage((data: unknown) => {
          if (allowed(data)) call({ data });
        }),
      );
    },
    removeEventListener: (_type: string, listener: unknown) => {
      subscriptions.get(listener)?.dispose();
      subscriptions.delete(listener);
    },
    dispose: () => {
      for (const d of subscriptions.values()) d.dispose();
      subscriptions.clear();
    },
  };
}
