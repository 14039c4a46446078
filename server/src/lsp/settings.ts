// The "gla" settings, read through workspace/configuration where the client offers it, else defaults.
import type { Connection } from 'vscode-languageserver';
import type { GlaSettings, InitializationOptions } from '../protocol';
import { TEMPLATE_SETS } from '../clip/text/templates';
import { defaultCacheDir } from '../store/cache-dir';
import { DEFAULT_LABEL_ISSUE_THRESHOLD, labelIssueThreshold } from '../gla/label-issue-threshold';

export const DEFAULT_SETTINGS: GlaSettings = {
  model: 'clip-vit-base-patch32',
  finetuned: '',
  executionProvider: 'auto',
  batchSize: 32,
  exactDecode: false,
  cacheDir: '',
  templates: [],
  labelIssueThreshold: DEFAULT_LABEL_ISSUE_THRESHOLD,
};

const PROVIDERS: readonly GlaSettings['executionProvider'][] = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];

/** Keeps whatever is well-formed in what the client sent; anything else falls back to the default. */
export function sanitizeSettings(raw: unknown): GlaSettings {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const text = (v: unknown, d: string) => (typeof v === 'string' ? v.trim() : d);
  return {
    model: text(r.model, DEFAULT_SETTINGS.model) || DEFAULT_SETTINGS.model,
    // A folder or a logits PREFIX; anything else (a number, a list) means the run's own linear probe.
    finetuned: text(r.finetuned, ''),
    executionProvider: PROVIDERS.includes(r.executionProvider as GlaSettings['executionProvider'])
      ? (r.executionProvider as GlaSettings['executionProvider'])
      : DEFAULT_SETTINGS.executionProvider,
    batchSize: typeof r.batchSize === 'number' && Number.isInteger(r.batchSize) && r.batchSize > 0 ? r.batchSize : DEFAULT_SETTINGS.batchSize,
    exactDecode: r.exactDecode === true,
    cacheDir: text(r.cacheDir, ''),
    templates: Array.isArray(r.templates) ? r.templates.filter((t): t is string => typeof t === 'string' && (t.includes('{}') || t in TEMPLATE_SETS)) : [],
    // The setting is gla.labelIssues.threshold: the section arrives as { labelIssues: { threshold } }.
    labelIssueThreshold: labelIssueThreshold((r.labelIssues as Record<string, unknown> | undefined)?.threshold),
  };
}

export class SettingsReader {
  private readonly cache = new Map<string, Promise<GlaSettings>>();

  constructor(
    private readonly connection: Connection,
    private readonly supportsConfiguration: boolean,
    private readonly init: InitializationOptions,
  ) {}

  /** Settings for a resource (its folder's scope); cached until the client says they changed. */
  get(scopeUri?: string): Promise<GlaSettings> {
    if (!this.supportsConfiguration) return Promise.resolve(DEFAULT_SETTINGS);
    const key = scopeUri ?? '';
    let settings = this.cache.get(key);
    if (!settings) {
      settings = this.connection.workspace
        .getConfiguration({ scopeUri, section: 'gla' })
        .then(sanitizeSettings, () => DEFAULT_SETTINGS);
      this.cache.set(key, settings);
    }
    return settings;
  }

  changed(): void {
    this.cache.clear();
  }

  get trusted(): boolean {
    return this.init.trusted !== false;
  }

  /**
   * Where models and caches live: the gla.cacheDir setting, else the client's (globalStorage), else GLA_CACHE_DIR / XDG.
   * In a restricted workspace a workspace setting may not redirect it.
   */
  cacheDir(settings: GlaSettings): string {
    if (this.trusted && settings.cacheDir) return settings.cacheDir;
    return this.init.cacheDir || defaultCacheDir();
  }
}
