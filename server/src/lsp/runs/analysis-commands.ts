// workspace/executeCommand gla.analyze, gla.classify and gla.export: argument checks, progress, the job thread, and the results.
import { stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import {
  ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken, type Connection, type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import { isDirectory, isFile } from '../../store/files';
import { parseManifest } from '../../dataset/manifest';
import { readManifestText } from '../../dataset/read-manifest';
import { newRunId } from '../../engine/run-folder';
import { CancelledError, UserError, describeError } from '../../errors';
import {
  AnalyzeCommand, ClassifyCommand, ExportCommand, RunFinishedNotification, StatusNotification, type AnalyzeArgs, type AnalyzeResult, type ClassifyArgs,
  type ClassifyResult, type ExportArgs, type ExportResult,
} from '../../protocol';
import { runJobInThread } from './analysis-thread';
import type { ClientWording } from '../client-wording';
import { commandRoute, notifyClient, type CommandRoute } from '../custom-messages';
import { errorDetail } from '../internal-errors';
import { startProgress } from './progress';
import type { RunResult, RunResults } from './run-results';
import { summarizeRun } from './run-summary';
import type { SettingsReader } from '../settings';
import { uriPath } from '../uris';
import type { WorkspaceFolders } from '../workspace-folders';

export interface AnalysisCommandsDeps {
  connection: Connection;
  settings: SettingsReader;
  runs: RunResults;
  workspace: WorkspaceFolders;
  /** How the refusal in a restricted workspace is worded for this client. */
  wording: ClientWording;
  /** Publishes a newly kept run's diagnostics. */
  showRun(run: RunResult): Promise<void>;
}

export class AnalysisCommands {
  constructor(private readonly deps: AnalysisCommandsDeps) {}

  /** The executeCommand commands the server registers and answers, each held to its descriptor's result type. */
  readonly routes: readonly CommandRoute[] = [
    commandRoute(AnalyzeCommand, (args, token, workDone) => this.analyze(args, token, workDone)),
    commandRoute(ClassifyCommand, (args, token, workDone) => this.classify(args, token, workDone)),
    commandRoute(ExportCommand, (args, token, workDone) => this.export(args, token, workDone)),
  ];

  async analyze(rawArgs: unknown, token: CancellationToken, clientProgress: WorkDoneProgressReporter): Promise<AnalyzeResult> {
    return this.guard('analysis', async () => {
      const args = analyzeArgs(rawArgs);
      const { datasetRoot, manifestPath } = await locateDataset(args.dataset);
      const settings = await this.deps.settings.get(args.dataset);
      // An unreadable or oversized gla.yaml reads as empty here; the engine refuses it with the reason.
      const manifest = manifestPath ? parseManifest(await readManifestText(manifestPath).catch(() => '')) : undefined;
      const { connection, runs } = this.deps;
      const workspaceRoot = this.deps.workspace.rootFor(datasetRoot);
      // Precedence: the command's fine-tuned model, then gla.yaml's `finetuned:` (the engine reads it), then the
      // gla.finetuned setting (relative to the workspace folder); none of them: the run's own linear probe.
      const finetuned = args.finetuned !== undefined
        ? finetunedPath(args.finetuned)
        : manifest?.finetuned || !settings.finetuned ? undefined : resolve(workspaceRoot, settings.finetuned);
      // A run that starts later wins, whatever order they finish in.
      const stamp = runs.startRun();
      const progress = await startProgress(connection, `GLA: Analyzing ${basename(datasetRoot)}`, token, clientProgress);
      try {
        const { runDir, report } = await runJobInThread(
          {
            kind: 'analyze',
            request: {
              dataset: manifestPath ?? datasetRoot,
              // Precedence: the command's model, then gla.yaml's (the engine reads it), then the gla.model setting.
              model: args.model ?? (manifest?.model ? undefined : settings.model),
              finetuned,
              out: args.out ? pathOf(args.out, 'out') : undefined,
              labelFree: args.labelFree,
              workspaceRoot,
              cacheDir: this.deps.settings.cacheDir(settings),
              executionProvider: settings.executionProvider,
              batchSize: settings.batchSize,
              exactDecode: settings.exactDecode,
              labelIssueThreshold: settings.labelIssueThreshold,
              templates: (manifest?.templates || settings.templates.length === 0) ? undefined : settings.templates, // gla.yaml's win
            },
          },
          {
            signal: progress.signal,
            onProgress: (p) => progress.report(p),
            onNotice: (notice) => void notifyClient(connection, StatusNotification, { notice }),
            onOutput: (line) => connection.console.log(line),
          },
        );
        const summary = summarizeRun(runDir, report);
        progress.done(`${summary.images} images, ${summary.classes} classes, ${summary.labelIssues} suspected label errors`);
        const run: RunResult = { runDir, report, datasetRoot, stamp };
        if (runs.offer(run)) {
          await this.deps.showRun(run);
          void notifyClient(connection, StatusNotification, { model: report.model.id, executionProvider: report.model.executionProvider });
          void notifyClient(connection, RunFinishedNotification, { runDir, reportPath: summary.reportPath, summary });
        } else {
          connection.console.info(`gla: run ${report.runId} finished after a newer run of ${datasetRoot}; its results are not shown`);
        }
        return { runDir, summary };
      } finally {
        progress.done();
      }
    });
  }

  async classify(rawArgs: unknown, token: CancellationToken, clientProgress: WorkDoneProgressReporter): Promise<ClassifyResult> {
    return this.guard('classification', async () => {
      const args = classifyArgs(rawArgs);
      const folder = pathOf(args.folder, 'folder');
      const runDir = pathOf(args.run, 'run');
      if (!(await isDirectory(folder))) throw new UserError(`${folder} is not a folder`);
      if (!(await isDirectory(runDir))) throw new UserError(`${runDir} is not a run folder`);
      const settings = await this.deps.settings.get(args.folder);
      const progress = await startProgress(this.deps.connection, `GLA: Classifying ${basename(folder)}`, token, clientProgress);
      try {
        const result = await runJobInThread(
          {
            kind: 'classify',
            request: {
              folder,
              runDir,
              out: args.out ? pathOf(args.out, 'out') : join(runDir, `classify-${newRunId()}.csv`),
              cacheDir: this.deps.settings.cacheDir(settings),
              executionProvider: settings.executionProvider,
              batchSize: settings.batchSize,
            },
          },
          { signal: progress.signal, onProgress: (p) => progress.report(p), onOutput: (line) => this.deps.connection.console.log(line) },
        );
        progress.done(`${result.images} images classified`);
        return result;
      } finally {
        progress.done();
      }
    });
  }

  /** gla export in the job thread: the graphs are read and written there, and fp16/int8 exports run their check there. */
  async export(rawArgs: unknown, token: CancellationToken, clientProgress: WorkDoneProgressReporter): Promise<ExportResult> {
    return this.guard('export', async () => {
      const args = exportArgs(rawArgs);
      const runDir = pathOf(args.run, 'run');
      const out = pathOf(args.out, 'out');
      if (!(await isDirectory(runDir))) throw new UserError(`${runDir} is not a run folder`);
      const settings = await this.deps.settings.get(args.run);
      const progress = await startProgress(this.deps.connection, `GLA: Exporting the classifier to ${basename(out)}`, token, clientProgress);
      try {
        const result = await runJobInThread(
          {
            kind: 'export',
            request: { runDir, out, model: args.model, variant: args.variant, cacheDir: this.deps.settings.cacheDir(settings), executionProvider: settings.executionProvider },
          },
          { signal: progress.signal, onProgress: (p) => progress.report(p), onOutput: (line) => this.deps.connection.console.log(line) },
        );
        progress.done(`exported to ${result.out}`);
        return result;
      } finally {
        progress.done();
      }
    });
  }

  /** Refuses in restricted mode, and turns what went wrong into one clear line for the client. */
  private async guard<T>(what: string, body: () => Promise<T>): Promise<T> {
    if (!this.deps.settings.trusted) throw new ResponseError(ErrorCodes.InvalidRequest, this.deps.wording.restricted);
    try {
      return await body();
    } catch (err) {
      if (err instanceof ResponseError) throw err;
      if (err instanceof CancelledError) throw new ResponseError(LSPErrorCodes.RequestCancelled, `GLA: ${what} cancelled`);
      if (err instanceof UserError) throw new ResponseError(LSPErrorCodes.RequestFailed, err.message);
      this.deps.connection.console.error(`gla: ${what} failed: ${errorDetail(err)}`);
      throw new ResponseError(LSPErrorCodes.RequestFailed, `GLA: ${what} failed: ${describeError(err)}`);
    }
  }
}

function analyzeArgs(raw: unknown): AnalyzeArgs {
  const a = raw as Partial<AnalyzeArgs> | undefined;
  if (!a || typeof a.dataset !== 'string') throw invalid('gla.analyze expects [{dataset: <uri of a folder or gla.yaml>}]');
  if (a.model !== undefined && typeof a.model !== 'string') throw invalid('gla.analyze: model must be a string');
  if (a.finetuned !== undefined && (typeof a.finetuned !== 'string' || a.finetuned.trim() === '')) {
    throw invalid('gla.analyze: finetuned must be the path (or file: URI) of a fine-tuned model folder or a logits PREFIX');
  }
  if (a.out !== undefined && typeof a.out !== 'string') throw invalid('gla.analyze: out must be a URI');
  if (a.labelFree !== undefined && typeof a.labelFree !== 'boolean') throw invalid('gla.analyze: labelFree must be true or false');
  return { dataset: a.dataset, model: a.model, finetuned: a.finetuned, out: a.out, labelFree: a.labelFree };
}

function classifyArgs(raw: unknown): ClassifyArgs {
  const a = raw as Partial<ClassifyArgs> | undefined;
  if (!a || typeof a.folder !== 'string' || typeof a.run !== 'string') {
    throw invalid('gla.classify expects [{folder: <uri of a folder>, run: <uri of a run folder>}]');
  }
  if (a.out !== undefined && typeof a.out !== 'string') throw invalid('gla.classify: out must be a URI');
  return { folder: a.folder, run: a.run, out: a.out };
}

function exportArgs(raw: unknown): ExportArgs {
  const a = raw as Partial<ExportArgs> | undefined;
  if (!a || typeof a.run !== 'string' || typeof a.out !== 'string') throw invalid('gla.export expects [{run: <uri of a run folder>, out: <uri of a new folder>}]');
  for (const key of ['model', 'variant'] as const) if (a[key] !== undefined && typeof a[key] !== 'string') throw invalid(`gla.export: ${key} must be a string`);
  return { run: a.run, out: a.out, model: a.model, variant: a.variant };
}

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

/** The command's `finetuned`: a file: URI, or an absolute path (a relative one has nothing to be relative to). */
function finetunedPath(value: string): string {
  if (value.startsWith('file:')) return pathOf(value, 'finetuned');
  if (!isAbsolute(value)) throw invalid(`gla.analyze: finetuned must be an absolute path or a file: URI, got ${value}`);
  return value;
}

function pathOf(uri: string, what: string): string {
  const path = uriPath(uri);
  if (!path) throw invalid(`${what} must be a file: URI, got ${uri}`);
  return path;
}

/** A dataset URI names the folder or its gla.yaml. */
export async function locateDataset(uri: string): Promise<{ datasetRoot: string; manifestPath?: string }> {
  const path = pathOf(uri, 'dataset');
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new UserError(`dataset ${path} does not exist`);
  if (info.isFile()) return { datasetRoot: dirname(path), manifestPath: path };
  const manifestPath = join(path, 'gla.yaml');
  return { datasetRoot: path, manifestPath: (await isFile(manifestPath)) ? manifestPath : undefined };
}
