/// <reference path="../../server/src/types/vscode-languageserver.d.ts" />
// The bundled server driven by hand-written JSON-RPC frames, for what a well-behaved client never sends (a request
// before initialize); every message the server sends is kept, so a test can inspect all of it.
import { spawn, type ChildProcess } from 'node:child_process';
import { StreamMessageReader } from 'vscode-jsonrpc/node';
import { serverPath } from './paths';

export interface ServerMessage {
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

const WAIT_MS = 10_000;

export class RawLspSession {
  readonly received: ServerMessage[] = [];
  readonly stderr: string[] = [];
  private readonly waiters = new Set<() => void>();
  private nextId = 1;

  private constructor(readonly child: ChildProcess) {
    new StreamMessageReader(child.stdout!).listen((m) => {
      this.received.push(m as ServerMessage);
      for (const w of this.waiters) w();
    });
    child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
  }

  static start(env: NodeJS.ProcessEnv = {}): RawLspSession {
    const { GLA_DEBUG: _unset, ...inherited } = process.env;
    const child = spawn(process.execPath, [serverPath, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...inherited, ...env } });
    return new RawLspSession(child);
  }

  /** Writes one Content-Length framed message, exactly as it would go over the wire. */
  send(message: Record<string, unknown>): void {
    // A request written by hand keeps its id; later request() ids start above it.
    if (typeof message.id === 'number' && message.id >= this.nextId) this.nextId = message.id + 1;
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
    this.child.stdin!.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]));
  }

  /** Sends a request and resolves with the server's response (result or error). */
  request(method: string, params: unknown, timeoutMs = WAIT_MS): Promise<ServerMessage> {
    const id = this.nextId++;
    this.send({ id, method, params });
    return this.waitFor(`the response to ${method} (id ${id})`, () => this.received.find((m) => m.id === id && m.method === undefined), timeoutMs);
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** Answers the server's own requests (workspace/configuration, client/registerCapability) with null. */
  answerServerRequests(): void {
    const answered = new Set<number | string>();
    const answer = () => {
      for (const m of this.received) {
        if (m.method && m.id !== undefined && m.id !== null && !answered.has(m.id)) {
          answered.add(m.id);
          this.send({ id: m.id, result: null });
        }
      }
    };
    this.waiters.add(answer);
    answer();
  }

  waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; received:\n${JSON.stringify(this.received.slice(-10), null, 1)}\nstderr:\n${this.stderr.join('')}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Every log message the server sent (window/logMessage). */
  logLines(): string[] {
    return this.received.filter((m) => m.method === 'window/logMessage').map((m) => (m.params as { message: string }).message);
  }

  /** shutdown and exit, as a client ends a session; killed if it does not go within a few seconds. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request('shutdown', null, 2000).catch(() => undefined);
    this.notify('exit', null);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
