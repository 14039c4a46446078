// Everything the manifest features need about one gla.yaml: its checked contents, settings, tokenizer, latest run.
import { dirname } from 'node:path';
import type { TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_TEMPLATES, expandTemplates } from '../../clip/text/templates';
import type { ClipTokenizer } from '../../clip/text/tokenizer';
import { exceedsManifestSize } from '../../dataset/manifest-limits';
import { readManifest, readManifestText, type ManifestFile } from '../../dataset/read-manifest';
import type { GlaSettings } from '../../protocol';
import { findLatestRun, type RunResult, type RunResults } from '../runs/run-results';
import type { ClientWording } from '../client-wording';
import type { SettingsReader } from '../settings';
import type { TokenizerCache } from './tokenizers';
import { uriKey, uriPath } from '../uris';
import type { WorkspaceFolders } from '../workspace-folders';

export interface ManifestContext {
  uri: string;
  path: string;
  /** The open document's version; undefined when read from disk. */
  version: number | undefined;
  text: string;
  file: ManifestFile;
  settings: GlaSettings;
  /** The templates a run would use, set names expanded. */
  templates: readonly string[];
  tokenizer?: ClipTokenizer;
  /** The dataset's latest run (never in a restricted workspace). */
  run?: RunResult;
  /** How hovers name our commands to this client. */
  wording: ClientWording;
}

export class ManifestContexts {
  /** The search of each dataset's .gla/runs for an earlier run, done once and shared by concurrent callers. */
  private readonly searches = new Map<string, Promise<void>>();
  /** The last check of each manifest, reused while its text and settings are unchanged. */
  private readonly checked = new Map<string, { text: string; settings: GlaSettings } & Pick<ManifestContext, 'file' | 'tokenizer' | 'templates'>>();

  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly settings: SettingsReader,
    private readonly tokenizers: TokenizerCache,
    private readonly runs: RunResults,
    private readonly workspace: WorkspaceFolders,
    private readonly wording: ClientWording,
  ) {}

  /**
   * The open document's text, else the file's; undefined when neither exists (or the URI is not a file), and when
   * the text is over the size limit: such a manifest gets only its size diagnostic, and no feature reads it.
   */
  async load(uri: string): Promise<ManifestContext | undefined> {
    const path = uriPath(uri);
    if (!path) return undefined;
    const doc = this.documents.get(uri);
    const text = doc?.getText() ?? (await readManifestText(path).catch(() => undefined));
    if (text === undefined || exceedsManifestSize(text)) return undefined;
    const settings = await this.settings.get(uri);
    // Hover, completion and code actions after an edit reuse that edit's checks: a 1000-class manifest takes
    // ~0.1–0.3 s to parse and check on this thread.
    const key = uriKey(uri);
    let checked = this.checked.get(key);
    if (!checked || checked.text !== text || checked.settings !== settings) {
      checked = { text, settings, ...(await this.check(path, text, settings)) };
      this.checked.set(key, checked);
    }
    const { file, tokenizer, templates } = checked;
    const run = this.settings.trusted ? await this.latestRun(file.root) : undefined;
    return { uri, path, version: doc?.version, text, file, settings, templates, tokenizer, run, wording: this.wording };
  }

  /** Checks that depend on the file system (class folders, model folders) are redone after it changes. */
  forgetChecks(): void {
    this.checked.clear();
  }

  private async check(path: string, text: string, settings: GlaSettings): Promise<Pick<ManifestContext, 'file' | 'tokenizer' | 'templates'>> {
    const cacheDir = this.settings.cacheDir(settings);
    let tokenizer: ClipTokenizer | undefined;
    // As the engine chooses: gla.yaml's templates, else the setting's, else its default set.
    const defaultTemplates = settings.templates.length ? settings.templates : DEFAULT_TEMPLATES;
    const file = await readManifest(path, {
      text,
      defaultTemplates,
      tokenizer: async (m) => (tokenizer = await this.tokenizers.forModel(m.model?.value ?? settings.model, dirname(path), cacheDir)),
    });
    const templates = expandTemplates(file.templates?.map((t) => t.value) ?? defaultTemplates);
    return { file, tokenizer, templates };
  }

  /** The run this server made or saw last, else the newest one on disk (looked up once per dataset). */
  async latestRun(datasetRoot: string): Promise<RunResult | undefined> {
    let search = this.searches.get(datasetRoot);
    if (!search) {
      search = findLatestRun(datasetRoot, this.workspace.all()).then(
        (found) => void (found && this.runs.offer({ ...found, datasetRoot, stamp: 0 })),
        () => undefined,
      );
      this.searches.set(datasetRoot, search);
    }
    await search;
    return this.runs.get(datasetRoot);
  }
}
