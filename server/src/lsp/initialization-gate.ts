// The LSP spec's rule for messages before `initialize`: requests get ServerNotInitialized (-32002), notifications
// other than `exit` are dropped. Every handler may then rely on the state initialize creates.
import { ErrorCodes, Message, ResponseError, type Connection, type MessageStrategy } from 'vscode-languageserver';

/** What MessageStrategy.handleMessage returns (vscode-jsonrpc does not export the name). */
type Handled = ReturnType<MessageStrategy['handleMessage']>;

/** The one handler every early request is routed to (a client sending it itself is refused the same way). */
const NOT_INITIALIZED_METHOD = '$/gla/notInitialized';

export class InitializationGate implements MessageStrategy {
  private initialized = false;

  /** Called once initialize has created the server's state. */
  open(): void {
    this.initialized = true;
  }

  get isOpen(): boolean {
    return this.initialized;
  }

  /** vscode-jsonrpc calls this for each incoming message before dispatching it. */
  handleMessage(message: Message, next: (message: Message) => Handled): Handled {
    if (this.initialized || Message.isResponse(message)) return next(message);
    if (Message.isRequest(message)) {
      if (message.method === 'initialize') return next(message);
      // The library offers no way to answer here, so the request is re-addressed to a handler that refuses it.
      return next({ ...message, method: NOT_INITIALIZED_METHOD, params: { method: message.method } } as Message);
    }
    if (Message.isNotification(message) && message.method === 'exit') return next(message);
  }

  /** Registers the refusal; call before connection.listen(). */
  listen(connection: Connection): void {
    connection.onRequest(NOT_INITIALIZED_METHOD, (params: { method?: unknown }) => {
      // The method is echoed only when it looks like one, so a hostile name cannot fill or break the line.
      const method = typeof params?.method === 'string' && /^[\w$/.-]{1,100}$/.test(params.method) ? params.method : 'this request';
      throw new ResponseError(ErrorCodes.ServerNotInitialized, `GLA: the server is not initialized yet; send initialize before ${method}`);
    });
  }
}
