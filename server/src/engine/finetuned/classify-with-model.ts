// `gla classify FOLDER --model DIR`: a Hugging Face image-classification ONNX folder (a `gla export`, or any model in
// that layout) applied to images, with its own preprocessing and id2label, through the same pipeline as a run's.
import { promises as fs } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { UserError, throwIfCancelled } from '../../errors';
import { parseExecutionProviderRequest } from '../../clip/inference/execution-providers';
import { walkFiles } from '../../dataset/image-files';
import { logSumExpRow } from '../../gla/softmax';
import { writeFileAtomic } from '../../store/atomic-write';
import { csvLine } from '../../store/csv';
import { writeNpy } from '../../store/npy';
import type { AnalysisHooks } from '../analyze';
import { classKey } from './class-names';
import { readClassifierFolder } from './classifier-folder';
import { runClassifier } from './run-classifier';

export interface ClassifyWithModelRequest {
  folder: string;
  /** The classifier folder. */
  model: string;
  out: string;
  cacheDir: string;
  executionProvider?: string;
  batchSize?: number;
  /** A folder for logits.npy (float32, rows as in the CSV, columns in id2label order) and labels.npy. */
  saveLogits?: string;
}

export interface ClassifyWithModelResult {
  predictionsPath: string;
  images: number;
  failed: number;
  /** When FOLDER has class folders named as id2label's classes: top-1 over those images. */
  labelled?: number;
  top1?: number;
}

export async function classifyWithModel(request: ClassifyWithModelRequest, hooks: AnalysisHooks = {}): Promise<ClassifyWithModelResult> {
  const folder = await readClassifierFolder(request.model).catch(async (err: Error) => {
    const twoModels = await fs.stat(join(request.model, 'onnx', 'head.onnx')).then(() => true, () => false);
    throw twoModels ? new UserError(`${request.model}: a two-model export (onnx/head.onnx) is not one classifier; see its config.json gla.layoutNote`) : err;
  });
  const root = resolve(request.folder);
  const { images, others } = await walkFiles(root).catch(() => {
    throw new UserError(`${request.folder}: no such folder`);
  });
  const paths = [...images, ...others];
  if (paths.length === 0) throw new UserError(`${request.folder}: no files to classify`);
  const run = await runClassifier(folder, paths, {
    cacheDir: request.cacheDir,
    provider: parseExecutionProviderRequest(request.executionProvider ?? 'auto'),
    batchSize: request.batchSize,
    signal: hooks.signal,
    onProgress: (done, total) => hooks.onProgress?.({ stage: 'embed', message: `running ${folder.name}`, done, total }),
  });
  throwIfCancelled(hooks.signal);
  const K = folder.labels.length;
  const byKey = new Map(folder.labels.map((l, k) => [classKey(l), k]));
  const rows = paths.map((p, r) => ({ r, path: relative(root, p).split(sep).join('/') })).filter(({ r }) => run.has[r]);
  if (rows.length === 0) throw new UserError(`none of the ${paths.length} files could be read (first: ${run.failed[0]?.path}: ${run.failed[0]?.error})`);
  const given = rows.map(({ path }) => (path.includes('/') ? (byKey.get(classKey(path.split('/')[0])) ?? -1) : -1));
  const lines = [['path', 'given', 'predicted', 'probability'].join(',')];
  const logits = new Float32Array(rows.length * K);
  let labelled = 0;
  let right = 0;
  rows.forEach(({ r, path }, i) => {
    const row = run.raw.subarray(r * K, (r + 1) * K);
    logits.set(row, i * K);
    let best = 0;
    for (let k = 1; k < K; k++) if (row[k] > row[best]) best = k;
    const p = Math.exp(row[best] - logSumExpRow(row, 0, K));
    if (given[i] >= 0) {
      labelled++;
      if (given[i] === best) right++;
    }
    lines.push(csvLine([path, given[i] >= 0 ? folder.labels[given[i]] : '', folder.labels[best], p.toFixed(6)]));
  });
  await writeFileAtomic(request.out, lines.join('\n') + '\n');
  if (request.saveLogits) {
    await fs.mkdir(request.saveLogits, { recursive: true });
    await writeNpy(join(request.saveLogits, 'logits.npy'), { dtype: 'float32', shape: [rows.length, K], data: logits });
    if (labelled === rows.length) await writeNpy(join(request.saveLogits, 'labels.npy'), { dtype: 'int32', shape: [rows.length], data: Int32Array.from(given) });
  }
  const result: ClassifyWithModelResult = { predictionsPath: request.out, images: rows.length, failed: paths.length - rows.length };
  if (labelled) Object.assign(result, { labelled, top1: right / labelled });
  return result;
}
