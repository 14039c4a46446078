import { promises as fs } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors';
import { readCsvManifest } from './csv-manifest';
import { byCodePoint, scanDatasetFolders } from './dataset-folders';
import { describeFsError, walkFiles, type PathProblem } from './image-files';
import { defaultPrompt, finetunedLocation, resolveManifestModel } from './manifest-checks';
import { MAX_CLASSES } from './manifest-limits';
import { firstManifestError, readManifest, type ManifestFile } from './read-manifest';
import { seededRandom, shuffled, stratifiedSplit, type Split } from './splits';

export interface DatasetItem {
  path: string;
  /** Relative to the dataset root, with / separators (what reports and predictions show). */
  relative: string;
  /** Class index, or −1 for an unlabelled image. */
  label: number;
  split: Split | 'none';
}

export interface DatasetClass {
  /** The class folder (or CSV label): the class's name in reports. */
  name: string;
  /** The name used in prompts: gla.yaml's `prompt:`, else the folder with underscores as spaces. */
  prompt: string;
}

export interface Dataset {
  root: string;
  manifestPath?: string;
  classes: DatasetClass[];
  /** From gla.yaml, if it has them. */
  templates?: string[];
  /** From gla.yaml's `model:`, a folder path resolved against the manifest's folder. */
  model?: string;
  /**
   * From gla.yaml's `finetuned:`, resolved against the manifest's folder: the user's fine-tuned model folder or logits
   * PREFIX, calibrated with GLA instead of the run's linear probe.
   */
  finetuned?: string;
  items: DatasetItem[];
  splitSource: 'folders' | 'manifest' | 'csv' | 'seeded' | 'shots' | 'none';
  seed?: number;
  labelFree: boolean;
  /** Things worth telling the user about the dataset (empty classes, smoothing, …). */
  notes: string[];
  /** Folders that could not be read and links that could not be followed, relative to the root: the run's `failed`. */
  failed: PathProblem[];
  /** gla.yaml's warnings (unknown keys, …) as `file:line:col: message`; the LSP shows them as diagnostics. */
  manifestWarnings: string[];
  /** The parsed gla.yaml, when there is one (prompt lengths are checked once the model's tokenizer is known). */
  manifest?: ManifestFile;
  /** A CSV manifest: its folder holds the list, not the dataset, so outputs may go beside it. */
  fromCsv?: boolean;
}

export interface DiscoverOptions {
  /** Paper protocol: K train images per class and min(K, 4) val images; test stays whole. */
  shots?: number;
  seed?: number;
  labelFree?: boolean;
  /** CSV manifests only: allow paths that leave the CSV's folder. */
  allowOutsidePaths?: boolean;
}

export const DEFAULT_SEED = 0;

function posixRelative(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/**
 * Finds the dataset behind a path: a folder (ImageFolder `split/class/*` or `class/*`, with or without gla.yaml),
 * a gla.yaml, or a `path,label[,split]` CSV. Every file in a class folder is an image candidate (decoding decides
 * and reports the rest); hidden files and folders are skipped. Without split folders, a seeded stratified split.
 */
export async function discoverDataset(input: string, options: DiscoverOptions = {}): Promise<Dataset> {
  const path = resolve(input);
  let stat;
  try {
    stat = await fs.stat(path);
  } catch {
    throw new UserError(`${input}: no such dataset folder or file`);
  }
  const seed = options.seed ?? DEFAULT_SEED;
  if (stat.isFile() && extname(path).toLowerCase() === '.csv') return fromCsv(path, seed, options);
  let manifest: ManifestFile | undefined;
  if (stat.isFile()) {
    if (!/\.ya?ml$/i.test(path)) throw new UserError(`${input}: expected a dataset folder, a gla.yaml or a .csv manifest`);
    manifest = await readManifest(path);
  } else {
    const candidate = join(path, 'gla.yaml');
    try {
      await fs.access(candidate);
      manifest = await readManifest(candidate);
    } catch (err) {
      if (err instanceof UserError) throw err;
    }
  }
  if (manifest) checkManifestHolds(manifest, options);
  const root = manifest ? manifest.root : path;
  const folders = manifest?.folders ?? (await scanDatasetFolders(root));
  // The same bound as gla.yaml's: beyond it the N×C work no longer fits a workstation.
  if (folders.classFolders.length > MAX_CLASSES && !manifest?.classes) {
    throw new UserError(`${input}: ${folders.classFolders.length.toLocaleString('en-US')} class folders; GLA handles at most ${MAX_CLASSES.toLocaleString('en-US')} classes`);
  }
  const classes: DatasetClass[] = manifest ? manifest.effectiveClasses.map((c) => ({ name: c.folder, prompt: c.prompt })) : folders.classFolders.map((f) => ({ name: f, prompt: defaultPrompt(f) }));
  const base = {
    root,
    manifestPath: manifest?.path,
    templates: manifest?.templates?.map((t) => t.value),
    model: manifest?.model ? resolveManifestModel(manifest.model.value, root) : undefined,
    finetuned: manifest?.finetuned ? finetunedLocation(manifest.finetuned.value, root) : undefined,
    notes: [] as string[],
    failed: [] as PathProblem[],
    manifestWarnings: manifest ? manifestWarnings(manifest) : [],
    manifest,
  };
  const relativeProblems = (problems: PathProblem[]): PathProblem[] => problems.map((p) => ({ path: posixRelative(root, p.path) || '.', error: p.error }));
  // Label-free only when asked: a gla.yaml whose folders all miss is an error (a typo or case), never a silent switch.
  if (options.labelFree) {
    if (classes.length < 2) throw new UserError(`${input}: label-free mode needs at least two classes, listed in gla.yaml`);
    const { images, others, problems } = await walkFiles(root);
    base.failed.push(...relativeProblems(problems));
    const items = [...images, ...others]
      .filter((p) => basename(p) !== 'gla.yaml')
      .sort(byCodePoint)
      .map((p) => ({ path: p, relative: posixRelative(root, p), label: -1, split: 'none' as const }));
    if (items.length === 0) throw new UserError(`${input}: no images found`);
    return { ...base, classes, items, splitSource: 'none', labelFree: true };
  }
  if (classes.length === 0) throw new UserError(`${input}: no class folders found (expected class/* or train/class/*, or a gla.yaml listing classes)`);
  if (classes.length === 1) throw new UserError(`${input}: only one class ('${classes[0].name}'); classifying needs at least two`);

  const items: DatasetItem[] = [];
  const splitEntries = Object.entries(folders.splitDirs) as [Split, string][];
  const locations = splitEntries.length ? splitEntries : [['none', root] as ['none', string]];
  for (const [split, dir] of locations) {
    for (let c = 0; c < classes.length; c++) {
      const classDir = join(dir, classes[c].name);
      let files: string[] = [];
      try {
        const walked = await walkFiles(classDir);
        files = [...walked.images, ...walked.others].sort(byCodePoint);
        base.failed.push(...relativeProblems(walked.problems));
      } catch (err) {
        // A class absent from this split is normal; one that is there but unreadable loses images, so it is reported.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') base.failed.push({ path: `${posixRelative(root, classDir)}/`, error: describeFsError(err, 'folder') });
        continue;
      }
      for (const p of files) items.push({ path: p, relative: posixRelative(root, p), label: c, split });
    }
  }
  const dataset: Dataset = { ...base, classes, items, splitSource: splitEntries.length ? (manifest?.splits ? 'manifest' : 'folders') : 'seeded', labelFree: false };
  if (!splitEntries.length) assignSeededSplits(dataset, seed);
  if (options.shots !== undefined) sampleShots(dataset, options.shots, seed);
  noteEmptyClasses(dataset);
  return dataset;
}

function assignSeededSplits(dataset: Dataset, seed: number): void {
  const byClass = dataset.classes.map((_, c) => dataset.items.filter((i) => i.label === c));
  const split = stratifiedSplit(byClass, seed);
  for (const item of dataset.items) item.split = split.get(item) ?? 'train';
  dataset.seed = seed;
}

/** The paper's few-shot protocol: K train and min(K, 4) val images per class, sampled with the seed; test untouched. */
function sampleShots(dataset: Dataset, shots: number, seed: number): void {
  if (!Number.isInteger(shots) || shots < 1) throw new UserError(`--shots must be a positive integer, got ${shots}`);
  const random = seededRandom(seed + 1);
  const keep = new Set<DatasetItem>();
  for (let c = 0; c < dataset.classes.length; c++) {
    const train = shuffled(dataset.items.filter((i) => i.label === c && i.split === 'train'), random);
    const val = shuffled(dataset.items.filter((i) => i.label === c && i.split === 'val'), random);
    // Without a val pool of its own, val comes from what train did not use.
    const valPool = val.length ? val : train.slice(shots);
    train.slice(0, shots).forEach((i) => keep.add(i));
    valPool.slice(0, Math.min(shots, 4)).forEach((i) => {
      i.split = 'val';
      keep.add(i);
    });
  }
  dataset.items = dataset.items.filter((i) => i.split === 'test' || keep.has(i));
  dataset.splitSource = 'shots';
  dataset.seed = seed;
}

function noteEmptyClasses(dataset: Dataset): void {
  dataset.classes.forEach((cls, c) => {
    const own = dataset.items.filter((i) => i.label === c);
    if (own.length === 0) dataset.notes.push(`class '${cls.name}' has no images: it stays in the zero-shot head, its q is shrunk to uniform, and it has no support`);
    else if (!own.some((i) => i.split === 'train')) dataset.notes.push(`class '${cls.name}' has no train images: the probe cannot learn it, and its train share p_s is smoothed`);
  });
}

/**
 * A gla.yaml with errors is refused, as the language server marks it. With --label-free, missing class folders are
 * expected (the images are unlabelled), so only those errors are let through.
 */
function checkManifestHolds(manifest: ManifestFile, options: DiscoverOptions): void {
  const errors = manifest.problems.filter((p) => p.severity === 'error' && !(options.labelFree && p.code === 'missing-folder'));
  if (errors.length === 0) return;
  const listed = manifest.classes ?? [];
  const missing = manifest.problems.filter((p) => p.code === 'missing-folder').length;
  if (!options.labelFree && listed.length > 0 && missing === listed.length) {
    const have = manifest.folders.classFolders;
    const sample = have.slice(0, 5).map((f) => `'${f}'`).join(', ') + (have.length > 5 ? `, … (${have.length} in all)` : '');
    throw new UserError(
      `${manifest.path}: none of the ${listed.length} class folders gla.yaml lists exist in ${manifest.root}` +
        (have.length ? ` (its folders: ${sample}; names must match exactly, case included)` : '') +
        `; fix the names, or run label-free (--label-free) to classify unlabelled images into these classes`,
    );
  }
  throw new UserError(`gla.yaml has ${errors.length === 1 ? 'an error' : `${errors.length} errors`}; fix ${errors.length === 1 ? 'it' : 'them'} first: ${firstManifestError({ ...manifest, problems: errors })}`);
}

/** The manifest's warnings, one line each, as the language server shows them. */
function manifestWarnings(manifest: ManifestFile): string[] {
  return manifest.problems.filter((p) => p.severity === 'warning').map((p) => `${manifest.path}:${p.range.start.line + 1}:${p.range.start.character + 1}: ${p.message}`);
}

async function fromCsv(file: string, seed: number, options: DiscoverOptions): Promise<Dataset> {
  const rows = await readCsvManifest(file, { allowOutside: options.allowOutsidePaths });
  const root = dirname(file);
  const names = [...new Set(rows.map((r) => r.label))].sort(byCodePoint);
  if (names.length < 2) throw new UserError(`${file}: only ${names.length} class; classifying needs at least two`);
  if (names.length > MAX_CLASSES) throw new UserError(`${file}: ${names.length.toLocaleString('en-US')} distinct labels; GLA handles at most ${MAX_CLASSES.toLocaleString('en-US')} classes`);
  const index = new Map(names.map((n, c) => [n, c]));
  const items: DatasetItem[] = rows.map((r) => {
    const path = isAbsolute(r.path) ? r.path : resolve(root, r.path);
    return { path, relative: isAbsolute(r.path) ? r.path : r.path.split(sep).join('/'), label: index.get(r.label)!, split: (r.split as Split | undefined) ?? 'none' };
  });
  const dataset: Dataset = {
    root,
    classes: names.map((n) => ({ name: n, prompt: defaultPrompt(n) })),
    items,
    splitSource: rows.every((r) => r.split) ? 'csv' : 'seeded',
    labelFree: false,
    notes: [],
    failed: [],
    manifestWarnings: [],
    fromCsv: true,
  };
  if (dataset.splitSource === 'seeded') {
    if (rows.some((r) => r.split)) dataset.notes.push('some CSV rows have a split and some do not; all were re-split with the seed');
    assignSeededSplits(dataset, seed);
  }
  if (options.shots !== undefined) sampleShots(dataset, options.shots, seed);
  noteEmptyClasses(dataset);
  return dataset;
}
