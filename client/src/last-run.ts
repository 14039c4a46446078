// The most recent finished run of this workspace: remembered from gla/runFinished, else found under .gla/runs/.
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as vscode from 'vscode';
import type { RunFinishedParams, RunSummary } from '../../server/src/protocol';

export interface RunRecord {
  runDir: string;
  reportPath: string;
  summary?: RunSummary;
  /** ms since the epoch. */
  finishedAt: number;
}

const STATE_KEY = 'gla.lastRun';

export class LastRun implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunRecord>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  /** The remembered run, without touching the disk. */
  get current(): RunRecord | undefined {
    return this.state.get<RunRecord>(STATE_KEY);
  }

  async remember(run: RunFinishedParams | RunRecord): Promise<void> {
    const record: RunRecord = {
      runDir: run.runDir,
      reportPath: run.reportPath,
      summary: run.summary,
      finishedAt: 'finishedAt' in run ? run.finishedAt : Date.now(),
    };
    await this.state.update(STATE_KEY, record);
    this.changed.fire(record);
  }

  /** The remembered run if its report still exists, else the newest .gla/runs/<id>/report.json in the workspace. */
  async find(): Promise<RunRecord | undefined> {
    const known = this.current;
    if (known && (await exists(known.reportPath))) return known;
    const reports = await vscode.workspace.findFiles('**/.gla/runs/*/report.json', '**/node_modules/**', 200);
    let newest: RunRecord | undefined;
    for (const uri of reports) {
      const s = await stat(uri.fsPath).catch(() => undefined);
      if (s && (!newest || s.mtimeMs > newest.finishedAt)) {
        newest = { runDir: dirname(uri.fsPath), reportPath: uri.fsPath, finishedAt: s.mtimeMs };
      }
    }
    return newest;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
