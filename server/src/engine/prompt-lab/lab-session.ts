// The prompt lab's long-lived state for one run: its image embeddings (from the cache), labels and splits, the
// model, and a text tower kept open, so each edit costs only the prompts it changed plus one fit of q and T.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseExecutionProviderRequest } from '../../clip/inference/execution-providers';
import { TextEmbedder } from '../../clip/text/text-embedder';
import { discoverDataset } from '../../dataset/discover';
import { UserError, describeError } from '../../errors';
import { LinearLogitsKernel } from '../../gemm/linear-logits';
import type { Matrix } from '../../gla/matrix';
import { normalizeRowsInPlace } from '../../gla/zero-shot';
import { EmbeddingCache } from '../../store/embedding-cache';
import { PathIndex } from '../../store/path-index';
import { GEMM_THRESHOLD } from '../embedding-stages';
import { embedImages } from '../embed-images';
import { fitPrior, type LabelledData } from '../fit-models';
import { openModel, type OpenedModel } from '../open-model';
import type { Report } from '../report';
import { loadRunArtifacts, type RunArtifacts } from '../run-artifacts';
import { buildTextHead, missingTextTower } from '../text-head';
import { zeroShotAndDebiasedRecall } from './lab-recall';
import type { ClassRecall, PromptLabRequest, PromptLabResult } from './lab-request';

/** report.json rounds to 10 significant digits; the lab's figures are rounded the same, so equal means equal. */
const round = (v: number | null): number | null => (v === null ? null : Number(v.toPrecision(10)));

function mean(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

/** Why a run cannot be compared with, in one line, or undefined when it can. */
export function labRefusal(artifacts: Pick<RunArtifacts, 'labelFree'>, report: Pick<Report, 'seeds'>): string | undefined {
  if (artifacts.labelFree) return 'the last run is label-free: there is no recall to compare';
  if (report.seeds) return 'the last run is a seeds run: analyze once without seeds to see recall here';
  return undefined;
}

export class PromptLabSession {
  private textEmbedder?: Promise<TextEmbedder>;
  /** Whether a model named in gla.yaml is the run's (by the content of its files), per name. */
  private readonly sameModel = new Map<string, Promise<string | undefined>>();

  private constructor(
    readonly runDir: string,
    private readonly report: Report,
    private readonly artifacts: RunArtifacts,
    private readonly model: OpenedModel,
    private readonly base: Omit<LabelledData, 'initWeights'>,
    private readonly textCache: EmbeddingCache,
    private readonly kernel: LinearLogitsKernel | undefined,
    private readonly provider: string,
  ) {}

  /** Reads the run, and the dataset's image embeddings from the cache (an image the run did not embed is refused). */
  static async open(runDir: string, manifestPath: string, cacheDir: string, executionProvider = 'auto'): Promise<PromptLabSession> {
    const report = JSON.parse(await readFile(join(runDir, 'report.json'), 'utf8')) as Report;
    const artifacts = await loadRunArtifacts(runDir);
    const refusal = labRefusal(artifacts, report);
    if (refusal) throw new UserError(refusal);
    const dataset = await discoverDataset(manifestPath);
    if (dataset.labelFree) throw new UserError('the dataset has no labels now: there is no recall to compare');
    const names = dataset.classes.map((c) => c.name);
    if (names.join('\0') !== artifacts.classes.map((c) => c.name).join('\0')) throw new UserError('the classes on disk differ from the last run\'s: analyze to see recall');
    const model = await openModel(artifacts.model.dir, { cacheDir, allowDownload: false, decode: artifacts.model.decode });
    if (model.namespace.modelId !== artifacts.model.modelId) throw new UserError(`the files of model ${artifacts.model.id} changed since the last run: analyze to see recall`);
    if (!model.folder.textPath) throw missingTextTower(model.folder.dir);
    const index = new PathIndex(cacheDir);
    await index.load();
    // Only the run's cached embeddings are used: an image that is new or changed since then needs a run, not the lab.
    const embedded = await embedImages(dataset.items.map((i) => i.path), async () => {
      throw new UserError('some images are new or changed since the last run: analyze to see recall');
    }, new EmbeddingCache(cacheDir, model.namespace), index);
    const features: Matrix = normalizeRowsInPlace({ data: embedded.embeddings, rows: embedded.paths.length, cols: embedded.dim });
    const items = embedded.indices.map((i) => dataset.items[i]);
    const split = (s: string): number[] => items.map((item, r) => (item.split === s ? r : -1)).filter((r) => r >= 0);
    // The run's kernel choice, so the lab's logits are the run's to the last bit.
    const kernel = features.rows * names.length * features.cols >= GEMM_THRESHOLD ? await LinearLogitsKernel.create() : undefined;
    const base = { features, labels: Int32Array.from(items, (i) => i.label), train: split('train'), val: split('val'), test: split('test'), linear: kernel?.logits };
    const textCache = new EmbeddingCache(cacheDir, { modelId: model.textModelId, preprocessingVersion: 'clip-bpe-1' });
    return new PromptLabSession(runDir, report, artifacts, model, base, textCache, kernel, executionProvider);
  }

  /** Names of the classes whose prompt differs from the run's, and whether the templates do. */
  changes(request: Pick<PromptLabRequest, 'classes' | 'templates'>): { classes: string[]; templates: boolean } {
    return changesFrom(this.artifacts, request);
  }

  /** Recall under the request's prompts: the changed prompts encoded, q and T refitted on the run's fit set. */
  async evaluate(request: PromptLabRequest, signal?: AbortSignal): Promise<PromptLabResult> {
    const changed = this.changes(request);
    const started = performance.now();
    const { artifacts, report } = this;
    const other = await this.otherModel(request.model, request.cacheDir);
    if (other) return { kind: 'notice', message: other };
    if (request.classes.map((c) => c.name).join('\0') !== artifacts.classes.map((c) => c.name).join('\0')) {
      return { kind: 'notice', message: 'the classes differ from the last run\'s: analyze to see recall' };
    }
    let encodedPrompts = 0;
    const head = await buildTextHead(this.model, request.classes.map((c) => c.prompt), request.templates, this.textCache, {
      signal,
      embedder: () => this.openTextTower(),
      onEncoded: (n) => (encodedPrompts = n),
    });
    const data: LabelledData = { ...this.base, initWeights: Float64Array.from(head.data, (v) => v * this.model.folder.logitScale) };
    // Steps 1, 2, 6 as the run took them: the same fit set, and T by the run's rule.
    const fitted = await fitPrior(data, report.prior.temperatureRule === 'confidence' ? 'confidence' : 'likelihood');
    const recall = await zeroShotAndDebiasedRecall(data, fitted.prior.temperature, fitted.prior.logPrior, signal);
    const classes: ClassRecall[] = request.classes.map((c, j) => {
      const before = report.classes.find((r) => r.name === c.name)?.recall;
      return {
        name: c.name,
        before: { zeroShot: before?.zeroShot ?? null, debiased: before?.debiased ?? null },
        after: { zeroShot: round(recall.zeroShot[j]), debiased: round(recall.debiased[j]) },
      };
    });
    const meanOf = (pick: (c: ClassRecall) => number | null) => round(mean(classes.map(pick)));
    return {
      kind: 'recall',
      runId: report.runId,
      evaluatedOn: data.test.length ? 'test' : 'all labelled images',
      classes,
      mean: {
        name: '',
        before: { zeroShot: meanOf((c) => c.before.zeroShot), debiased: meanOf((c) => c.before.debiased) },
        after: { zeroShot: meanOf((c) => c.after.zeroShot), debiased: meanOf((c) => c.after.debiased) },
      },
      encodedPrompts,
      changed,
      milliseconds: performance.now() - started,
    };
  }

  /** The text tower, opened at the first prompt the cache lacks and kept open for the next edits. */
  private openTextTower(): Promise<TextEmbedder> {
    this.textEmbedder ??= TextEmbedder.open(this.model.folder.textPath!, this.model.folder.dir, parseExecutionProviderRequest(this.provider));
    // A tower that failed to open is tried again at the next edit.
    this.textEmbedder.catch(() => (this.textEmbedder = undefined));
    return this.textEmbedder;
  }

  /** Why the model gla.yaml names now is not the run's, or undefined when it is (compared by its files' content). */
  private otherModel(model: string, cacheDir: string): Promise<string | undefined> {
    const { artifacts } = this;
    if (model === artifacts.model.dir || model === artifacts.model.id) return Promise.resolve(undefined);
    let verdict = this.sameModel.get(model);
    if (!verdict) {
      const differs = `the last run used model ${artifacts.model.id}; gla.yaml names ${model} now: analyze to see recall with it`;
      verdict = openModel(model, { cacheDir, allowDownload: false }).then(
        (m) => (m.namespace.modelId === artifacts.model.modelId ? undefined : differs),
        (err: unknown) => `${differs} (${describeError(err)})`,
      );
      this.sameModel.set(model, verdict);
    }
    return verdict;
  }

  async close(): Promise<void> {
    const embedder = await this.textEmbedder?.catch(() => undefined);
    await embedder?.close();
    await this.kernel?.release();
  }
}

/** What an edit changed against a run: the classes whose prompt differs, and whether the templates do. */
export function changesFrom(run: Pick<RunArtifacts, 'classes' | 'templates'>, request: Pick<PromptLabRequest, 'classes' | 'templates'>): { classes: string[]; templates: boolean } {
  const prompts = new Map(run.classes.map((c) => [c.name, c.prompt]));
  return {
    classes: request.classes.filter((c) => prompts.has(c.name) && prompts.get(c.name) !== c.prompt).map((c) => c.name),
    templates: run.templates.join('\0') !== request.templates.join('\0'),
  };
}
