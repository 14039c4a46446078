// comlink's Endpoint on the webview side: acquireVsCodeApi().postMessage out, the window's message events in. Two
// conversations share the channel (bias-panel-api.ts's ChannelMessage): the page calling the extension ('host') and
// the extension calling the page ('page'); each endpoint sends and hears only its own.
import type { Endpoint } from 'comlink';
import type { ChannelMessage, PanelChannel } from '../../client/src/bias-panel-api';

/** The object VS Code gives a webview script, once per page. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

type Listener = EventListenerOrEventListenerObject;

export function extensionEndpoint(vscode: VsCodeApi, channel: PanelChannel, target: Window = window): Endpoint {
  const wrapped = new Map<Listener, (e: MessageEvent) => void>();
  return {
    postMessage: (message: unknown) => vscode.postMessage({ channel, message } satisfies ChannelMessage),
    addEventListener: (_type: string, listener: Listener) => {
      const relay = (e: MessageEvent) => {
        const m = e.data as Partial<ChannelMessage> | undefined;
        if (m?.channel !== channel) return;
        const event = { data: m.message } as MessageEvent;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      wrapped.set(listener, relay);
      target.addEventListener('message', relay);
    },
    removeEventListener: (_type: string, listener: Listener) => {
      const relay = wrapped.get(listener);
      if (relay) target.removeEventListener('message', relay);
      wrapped.delete(listener);
    },
  };
}
