// What happens when the worker dies: restart it a few times, and tell the user each time (issue 5, "Robustness").
import {
  CloseAction,
  ErrorAction,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type Message,
} from 'vscode-languageclient/node';

export interface CrashReport {
  /** true when the worker is being restarted; false when the restart budget is spent and it stays down. */
  restarting: boolean;
  crashesInWindow: number;
}

export class WorkerCrashHandler implements ErrorHandler {
  private crashes: number[] = [];

  constructor(
    private readonly onCrash: (report: CrashReport) => void,
    private readonly maxRestarts = 4,
    private readonly windowMs = 3 * 60_000,
  ) {}

  error(_error: Error, _message: Message | undefined, count: number | undefined): ErrorHandlerResult {
    // A few garbled messages are survivable; a stream of them means the connection is gone.
    return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true };
  }

  closed(): CloseHandlerResult {
    const now = Date.now();
    this.crashes = this.crashes.filter((t) => now - t < this.windowMs);
    this.crashes.push(now);
    const restarting = this.crashes.length <= this.maxRestarts;
    this.onCrash({ restarting, crashesInWindow: this.crashes.length });
    return { action: restarting ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true };
  }
}
