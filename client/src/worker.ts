// The worker process as the rest of the extension sees it: started once, restarted on trust or on demand, with its
// custom notifications (gla/status, gla/runFinished) surfaced as events.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import {
  RunFinishedNotification,
  StatusNotification,
  type RunFinishedParams,
  type StatusParams,
} from '../../server/src/protocol';
import { onServerNotification } from './custom-messages';
import type { CrashReport } from './worker-crash-handler';

export type WorkerState = 'starting' | 'running' | 'stopped';

export class GlaWorker implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly stateChanged = new vscode.EventEmitter<WorkerState>();
  private readonly statusReceived = new vscode.EventEmitter<StatusParams>();
  private readonly runFinished = new vscode.EventEmitter<RunFinishedParams>();
  readonly onDidChangeState = this.stateChanged.event;
  readonly onStatus = this.statusReceived.event;
  readonly onRunFinished = this.runFinished.event;
  private currentState: WorkerState = 'stopped';
  /** The crash handler stopped restarting the worker. */
  private gaveUp = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly onCrash: (report: CrashReport) => void,
  ) {}

  get state(): WorkerState {
    return this.currentState;
  }

  /** The running client, starting it on first use. Rejects when the worker cannot start. */
  ready(): Promise<LanguageClient> {
    // After crashes used up the restart budget, using a command is the user asking for it to come back.
    if (this.client && this.gaveUp) {
      this.gaveUp = false;
      return this.restart();
    }
    if (!this.starting) {
      this.starting = this.launch();
      this.starting.catch(() => {
        this.starting = undefined; // the next call tries again
      });
    }
    return this.starting;
  }

  async restart(): Promise<LanguageClient> {
    const client = this.client;
    if (!client) return this.ready();
    this.setState('starting');
    await client.restart();
    return client;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.starting = undefined;
    if (client?.needsStop()) await client.stop(5000);
    this.setState('stopped');
  }

  private async launch(): Promise<LanguageClient> {
    this.setState('starting');
    // Loaded here, not at activation: vscode-languageclient is the heaviest module the extension has.
    const { createLanguageClient } = await import('./language-client');
    const { State } = await import('vscode-languageclient/node');
    let startError: string | undefined;
    const client = createLanguageClient(this.context, {
      output: this.output,
      onCrash: (report) => {
        this.gaveUp = !report.restarting;
        this.onCrash(report);
      },
      onStartFailed: (message) => (startError = message),
    });
    onServerNotification(client, StatusNotification, (params) => this.statusReceived.fire(params));
    onServerNotification(client, RunFinishedNotification, (params) => this.runFinished.fire(params));
    client.onDidChangeState((e: { newState: number }) => {
      this.setState(e.newState === State.Running ? 'running' : e.newState === State.Starting ? 'starting' : 'stopped');
    });
    try {
      await client.start();
    } catch (err) {
      this.setState('stopped');
      throw new Error(startError ?? (err instanceof Error ? err.message : String(err)));
    }
    this.client = client;
    return client;
  }

  private setState(state: WorkerState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.stateChanged.fire(state);
  }

  dispose(): void {
    void this.stop();
    this.stateChanged.dispose();
    this.statusReceived.dispose();
    this.runFinished.dispose();
  }
}
