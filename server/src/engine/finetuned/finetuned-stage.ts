// DESIGN step 4's second form: a fine-tuned model the user brings, as an ONNX image classifier folder or as its
// logits, turned into z_ft for every image of the run in the dataset's class order.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { parseExecutionProviderRequest } from '../../clip/inference/execution-providers';
import { UserError, throwIfCancelled } from '../../errors';
import type { DatasetItem } from '../../dataset/discover';
import type { Matrix } from '../../gla/matrix';
import type { AnalysisContext } from '../analysis-context';
import type { FinetunedSource } from '../report';
import type { ClassMatch } from './class-names';
import { matchClasses } from './class-names';
import { readClassifierFolder } from './classifier-folder';
import { logitsPrefix, readLogitsFile } from './logits-file';
import { runClassifier } from './run-classifier';

/** What `gla classify` needs to run the same fine-tuned model again (run.json). */
export interface FinetunedArtifact {
  source: 'model' | 'logits';
  /** The model folder, or the logits PREFIX, resolved. */
  path: string;
  sha256: string;
  name: string;
  /** For dataset class c, the model's logit column. */
  columnOf: number[];
}

export interface FinetunedLogits {
  source: FinetunedSource & { path: string; sha256: string };
  artifact: FinetunedArtifact;
  /** N × C (the run's rows × the dataset's classes), float32; a row without logits is zeros. */
  logits: Matrix;
  /** 1 where the row has logits; the others are left out of the fine-tuned, ensemble and GLA columns. */
  has: Uint8Array;
  /** Rows without logits. */
  missing: number;
  notes: string[];
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Model columns → dataset columns: out[r, c] = raw[r, columnOf[c]]. */
export function reorderColumns(raw: Float32Array, width: number, rows: number, columnOf: ArrayLike<number>): Float32Array {
  const classes = columnOf.length;
  const out = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) for (let c = 0; c < classes; c++) out[r * classes + c] = raw[r * width + columnOf[c]];
  return out;
}

/** Which form PATH is: a folder is a classifier; otherwise PATH(.npy) + PATH.json is a logits pair. */
export async function finetunedForm(path: string): Promise<'model' | 'logits'> {
  const stat = await fs.stat(path).catch(() => undefined);
  if (stat?.isDirectory()) return 'model';
  const prefix = logitsPrefix(path);
  if (await fs.stat(`${prefix}.npy`).then((s) => s.isFile(), () => false)) return 'logits';
  throw new UserError(`--finetuned ${path}: no such model folder or logits PREFIX (${prefix}.npy + ${prefix}.json)`);
}

function dropNote(match: ClassMatch, name: string): string[] {
  if (!match.dropped.length) return [];
  const some = match.dropped.slice(0, 5).map((d) => `'${d}'`).join(', ') + (match.dropped.length > 5 ? ', …' : '');
  return [`fine-tuned model ${name}: ${match.dropped.length} of its classes are not in the dataset and were dropped (${some})`];
}

/** The user's fine-tuned logits for the run's images (`items`, in row order). */
export async function finetunedStage(ctx: AnalysisContext, items: readonly DatasetItem[], path: string): Promise<FinetunedLogits> {
  const { request, dataset, hooks } = ctx;
  const classes = dataset.classes;
  const form = await finetunedForm(path);
  let raw: Float32Array;
  let width: number;
  let has: Uint8Array;
  let match: ClassMatch;
  let source: FinetunedLogits['source'];
  const notes: string[] = [];
  if (form === 'model') {
    const folder = await readClassifierFolder(path);
    // Class names are checked before any image is run.
    match = matchClasses(folder.labels, classes, `${folder.dir}/config.json id2label`);
    ctx.progress('probe', `running the fine-tuned model ${folder.name}`);
    const run = await runClassifier(folder, items.map((i) => i.path), {
      cacheDir: request.cacheDir,
      provider: parseExecutionProviderRequest(request.executionProvider ?? 'auto'),
      batchSize: request.batchSize,
      decode: request.exactDecode ? 'exact' : 'shrink-on-load',
      signal: hooks.signal,
      onProgress: (done, total) => ctx.progress('probe', `running the fine-tuned model ${folder.name}`, done, total),
    });
    ({ raw, has } = run);
    width = folder.labels.length;
    source = { source: 'model', path: folder.dir, sha256: run.sha256, name: folder.name };
    if (run.failed.length) notes.push(`fine-tuned model ${folder.name}: ${run.failed.length} image(s) could not be run (e.g. ${run.failed[0].path}: ${run.failed[0].error}); they are left out of the fine-tuned, ensemble and GLA columns`);
  } else {
    const file = await readLogitsFile(path, items, classes);
    ({ raw, has, match } = file);
    width = file.columns;
    source = { source: 'logits', path: logitsPrefix(path), sha256: await sha256OfFile(file.npyPath), name: file.name };
  }
  throwIfCancelled(hooks.signal);
  notes.push(...dropNote(match, source.name));
  let missing = 0;
  for (let r = 0; r < items.length; r++) missing += has[r] ? 0 : 1;
  if (missing === items.length) throw new UserError(`--finetuned ${path}: no logits for any of the run's ${items.length} images`);
  if (missing && form === 'logits') {
    const first = items[has.indexOf(0)].relative;
    notes.push(`fine-tuned logits ${source.name}: ${missing} image(s) have no row (e.g. ${first}); they are left out of the fine-tuned, ensemble and GLA columns`);
  }
  const logits = { data: reorderColumns(raw, width, items.length, match.columnOf), rows: items.length, cols: classes.length };
  const artifact: FinetunedArtifact = { source: source.source as 'model' | 'logits', path: source.path, sha256: source.sha256, name: source.name, columnOf: Array.from(match.columnOf) };
  return { source, artifact, logits, has, missing, notes };
}
