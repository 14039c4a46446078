import { relative, resolve, sep } from 'node:path';
import { UserError, throwIfCancelled } from '../errors';
import { parseExecutionProviderRequest } from '../clip/inference/execution-providers';
import { walkFiles } from '../dataset/image-files';
import { debiasedLogits, glaLogits } from '../gla/ensemble';
import { probeLogits } from '../gla/probe/probe';
import { normalizeRows, zeroShotLogits } from '../gla/zero-shot';
import { writeFileAtomic } from '../store/atomic-write';
import type { AnalysisHooks } from './analyze';
import { embedWithModel } from './embed-with-model';
import { openModel } from './open-model';
import { columnsFromLogits, predictionsCsv } from './predictions-csv';
import { loadRunArtifacts } from './run-artifacts';

/** What `gla classify` and the gla.classify command ask: plain paths. */
export interface ClassifyRequest {
  folder: string;
  runDir: string;
  /** predictions.csv to write. */
  out: string;
  cacheDir: string;
  executionProvider?: string;
  batchSize?: number;
}

/** What a classification wrote: the gla.classify command answers it (protocol.ts re-exports it). */
export interface ClassifyResult {
  predictionsPath: string;
  images: number;
  failed: number;
}

/**
 * Applies a finished run to new images: the same model, text head, prior, probe and temperatures, so the
 * predictions are the ones the run's report describes (zero-shot, debiased, fine-tuned and GLA).
 */
export async function classifyFolder(request: ClassifyRequest, hooks: AnalysisHooks = {}): Promise<ClassifyResult> {
  const { signal } = hooks;
  const run = await loadRunArtifacts(request.runDir);
  const { images, others } = await walkFiles(resolve(request.folder)).catch(() => {
    throw new UserError(`${request.folder}: no such folder`);
  });
  const paths = [...images, ...others];
  if (paths.length === 0) throw new UserError(`${request.folder}: no files to classify`);
  hooks.onProgress?.({ stage: 'model', message: `opening model ${run.model.id}` });
  const model = await openModel(run.model.dir, { cacheDir: request.cacheDir, allowDownload: false, signal });
  if (model.namespace.modelId !== run.model.modelId || model.namespace.preprocessingVersion !== run.model.preprocessingVersion) {
    hooks.onNotice?.(`the model or its preprocessing changed since run ${request.runDir}; predictions may differ from the report`);
  }
  const embedded = await embedWithModel(paths, model, {
    cacheDir: request.cacheDir,
    provider: parseExecutionProviderRequest(request.executionProvider ?? 'auto'),
    batchSize: request.batchSize,
    signal,
    onProgress: (done, total) => hooks.onProgress?.({ stage: 'embed', message: 'embedding images', done, total }),
  });
  throwIfCancelled(signal);
  if (embedded.paths.length === 0) throw new UserError(`none of the ${paths.length} files could be read (first: ${embedded.failed[0]?.path}: ${embedded.failed[0]?.error})`);
  const features = normalizeRows({ data: embedded.embeddings, rows: embedded.paths.length, cols: embedded.dim });
  if (features.cols !== run.head.cols) throw new UserError(`the run's text head is ${run.head.cols}-dimensional but the images embed to ${features.cols}`);
  const zeroShot = zeroShotLogits(features, run.head, run.model.logitScale);
  const logPrior = Float64Array.from(run.logPrior);
  const debiased = debiasedLogits(zeroShot, logPrior, run.temperature);
  let finetuned;
  let gla;
  if (run.probe && run.probeWeights) {
    finetuned = probeLogits(run.probeWeights, features);
    gla = glaLogits({
      zeroShot,
      finetuned,
      logPrior,
      zeroShotTemperature: run.temperature,
      finetunedTemperature: run.probe.temperature,
      logTrainPrior: Float64Array.from(run.probe.logTrainPrior),
    });
  }
  const root = resolve(request.folder);
  const rows = embedded.paths.map((p) => ({ path: relative(root, p).split(sep).join('/') }));
  await writeFileAtomic(request.out, predictionsCsv(rows, run.classes.map((c) => c.name), columnsFromLogits({ zeroShot, debiased, finetuned, gla })));
  return { predictionsPath: request.out, images: embedded.paths.length, failed: embedded.failed.length };
}
