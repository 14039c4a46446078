// comlink's Endpoint on the webview side: acquireVsCodeApi().postMessage out, the window's message events in.
import type { Endpoint } from 'comlink';

/** The object VS Code gives a webview script, once per page. */
export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

export function extensionEndpoint(vscode: VsCodeApi, target: Window = window): Endpoint {
  return {
    postMessage: (message: unknown) => vscode.postMessage(message),
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
  };
}
