// The prompt lab's CodeLenses on gla.yaml: each edited class's zero-shot and debiased recall under the prompts as
// typed, against the last run. Computed in the lab's thread ~300 ms after typing stops; a newer edit cancels it.
import { CodeLensRefreshRequest, type CodeLens, type Connection, type TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { resolveManifestModel } from '../../dataset/manifest-checks';
import type { PromptLabRequest, PromptLabResult } from '../../engine/prompt-lab/lab-request';
import { classLine, meanLine, noticeLine, type LabLine } from '../../engine/prompt-lab/lab-wording';
import { CancelledError, describeError } from '../../errors';
import type { PromptLabThread } from '../runs/prompt-lab-thread';
import type { SettingsReader } from '../settings';
import { uriKey } from '../uris';
import type { ManifestContext, ManifestContexts } from './manifest-context';

/** Quiet time after the last keystroke before the lab computes. */
export const PROMPT_LAB_DEBOUNCE_MS = 300;

/** What a prompt-lab lens carries beside its title, for clients and tests that read the figures themselves. */
export interface PromptLabLensData {
  promptLab: true;
  /** The class, or absent on the templates line's summary and on a notice. */
  class?: string;
  zeroShot?: number | null;
  debiased?: number | null;
  before?: { zeroShot: number | null; debiased: number | null };
  runId?: string;
  evaluatedOn?: string;
  /** Prompts the text tower encoded for this edit; the rest came from the cache. */
  encodedPrompts?: number;
  milliseconds?: number;
}

export interface PromptLabDeps {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  contexts: ManifestContexts;
  settings: SettingsReader;
  lab: PromptLabThread;
  /** Whether the client re-asks for lenses on workspace/codeLens/refresh. */
  canRefresh: boolean;
}

const lens = (line: number, { title, tooltip }: LabLine, data: PromptLabLensData): CodeLens => ({
  range: { start: { line, character: 0 }, end: { line, character: 0 } },
  // A title without a command: the figures are to read, not to click.
  command: { title, tooltip, command: '' },
  data,
});

/** The lenses of one result on the lines of the manifest it was computed for. */
export function promptLabLenses(result: PromptLabResult, context: Pick<ManifestContext, 'file'>): CodeLens[] {
  const { file } = context;
  const summaryLine = file.templates?.[0]?.range.start.line ?? file.classesKeyRange?.start.line ?? 0;
  if (result.kind === 'unchanged') return [];
  if (result.kind === 'notice') return [lens(file.classesKeyRange?.start.line ?? summaryLine, noticeLine(result.message), { promptLab: true })];
  const common = { promptLab: true as const, runId: result.runId, evaluatedOn: result.evaluatedOn, encodedPrompts: result.encodedPrompts, milliseconds: Math.round(result.milliseconds) };
  const shown = new Set(result.changed.templates ? result.classes.map((c) => c.name) : result.changed.classes);
  const lenses: CodeLens[] = [];
  if (result.changed.templates) lenses.push(lens(summaryLine, meanLine(result.mean, result.evaluatedOn), { ...common, zeroShot: result.mean.after.zeroShot, debiased: result.mean.after.debiased, before: result.mean.before }));
  for (const c of result.classes) {
    const line = file.classes?.find((m) => m.folder === c.name)?.range.start.line;
    if (line === undefined || !shown.has(c.name)) continue;
    lenses.push(lens(line, classLine(c, result.evaluatedOn), { ...common, class: c.name, zeroShot: c.after.zeroShot, debiased: c.after.debiased, before: c.before }));
  }
  return lenses;
}

export class PromptLabLensProvider {
  /** Each manifest's lenses, with the text they were computed for: shown only while the buffer still has that text. */
  private readonly shown = new Map<string, { text: string; lenses: CodeLens[] }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Map<string, AbortController>();

  constructor(private readonly deps: PromptLabDeps) {}

  /** An edit: the evaluation in flight is dropped now, and a new one starts once typing pauses. */
  changed(uri: string): void {
    const key = uriKey(uri);
    this.inFlight.get(key)?.abort();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      void this.evaluate(uri);
    }, PROMPT_LAB_DEBOUNCE_MS));
  }

  /** A new run: every open manifest is compared with it. */
  runChanged(): void {
    for (const doc of this.deps.documents.all()) if (this.shown.has(uriKey(doc.uri)) || this.timers.has(uriKey(doc.uri))) this.changed(doc.uri);
  }

  closed(uri: string): void {
    const key = uriKey(uri);
    this.inFlight.get(key)?.abort();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.shown.delete(key);
  }

  /** textDocument/codeLens: the lenses computed for exactly this text, else none (a stale figure is never shown). */
  lenses(uri: string): CodeLens[] {
    const entry = this.shown.get(uriKey(uri));
    const text = this.deps.documents.get(uri)?.getText();
    return entry && entry.text === text ? entry.lenses : [];
  }

  private async evaluate(uri: string): Promise<void> {
    const key = uriKey(uri);
    const controller = new AbortController();
    this.inFlight.set(key, controller);
    const doc = this.deps.documents.get(uri);
    const text = doc?.getText();
    try {
      const context = text === undefined ? undefined : await this.deps.contexts.load(uri);
      // A manifest a run would refuse (invalid YAML among them), or with no run to compare with: no lens.
      const request = context && !context.file.problems.some((p) => p.severity === 'error') ? this.request(context) : undefined;
      const result = request && (await this.deps.lab.evaluate(request, controller.signal));
      if (controller.signal.aborted || this.deps.documents.get(uri)?.getText() !== text) return;
      this.show(key, text ?? '', result && context ? promptLabLenses(result, context) : []);
    } catch (err) {
      if (err instanceof CancelledError || controller.signal.aborted) return;
      this.deps.connection.console.error(`gla: prompt lab: ${describeError(err)}`);
      this.show(key, text ?? '', []);
    } finally {
      if (this.inFlight.get(key) === controller) this.inFlight.delete(key);
    }
  }

  private request(context: ManifestContext): PromptLabRequest | undefined {
    const { run, file, settings } = context;
    if (!run) return undefined;
    return {
      runDir: run.runDir,
      manifestPath: context.path,
      cacheDir: this.deps.settings.cacheDir(settings),
      // As a run would choose: gla.yaml's model, else the gla.model setting.
      model: file.model ? resolveManifestModel(file.model.value, file.root) : settings.model,
      classes: file.effectiveClasses.map((c) => ({ name: c.folder, prompt: c.prompt })),
      templates: [...context.templates],
      executionProvider: settings.executionProvider,
    };
  }

  private show(key: string, text: string, lenses: CodeLens[]): void {
    const before = this.shown.get(key);
    this.shown.set(key, { text, lenses });
    if (before?.lenses.length === 0 && lenses.length === 0) return;
    if (this.deps.canRefresh) void this.deps.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  }
}
