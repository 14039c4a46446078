// comlink's Endpoint over a VS Code webview, on the extension side: webview.postMessage out, onDidReceiveMessage in.
// Two conversations share the webview's channel (bias-panel-api.ts's ChannelMessage): the page calling us, and us
// calling the page. Only calls of the allowed methods get through: comlink's expose() would otherwise let the page
// read or set any property path of the exposed object (e.g. __proto__), and the page renders data from files we do
// not control.
import type { Endpoint } from 'comlink';
import type * as vscode from 'vscode';
import type { ChannelMessage, PanelChannel } from './bias-panel-api';

type Listener = (event: { data: unknown }) => void;

export interface WebviewEndpoint extends Endpoint, vscode.Disposable {}

/** The page calls the extension: requests for the allowed methods in, answers out. */
export function webviewEndpoint(webview: vscode.Webview, allowedCalls: readonly string[]): WebviewEndpoint {
  return channelEndpoint(webview, 'host', (m) => {
    const call = m as { type?: unknown; path?: unknown };
    return call?.type === 'APPLY' && Array.isArray(call.path) && call.path.length === 1 && allowedCalls.includes(call.path[0] as string);
  });
}

/** The extension calls the page: requests out, the page's answers in (comlink matches them to calls by id). */
export function pageEndpoint(webview: vscode.Webview): WebviewEndpoint {
  return channelEndpoint(webview, 'page', (m) => typeof (m as { id?: unknown })?.id === 'string' && (m as { path?: unknown }).path === undefined);
}

function channelEndpoint(webview: vscode.Webview, channel: PanelChannel, accept: (message: unknown) => boolean): WebviewEndpoint {
  const subscriptions = new Map<unknown, vscode.Disposable>();
  return {
    postMessage: (message: unknown) => void webview.postMessage({ channel, message } satisfies ChannelMessage),
    addEventListener: (_type: string, listener: unknown) => {
      const call: Listener =
        typeof listener === 'function' ? (listener as Listener) : (e) => (listener as { handleEvent: Listener }).handleEvent(e);
      subscriptions.set(
        listener,
        webview.onDidReceiveMessage((data: unknown) => {
          const m = data as Partial<ChannelMessage> | undefined;
          if (m?.channel === channel && accept(m.message)) call({ data: m.message });
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
