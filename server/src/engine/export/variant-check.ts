// What an fp16 or int8 export costs: its top-1 against the fp32 export's on the run's test split, both run through
// the same decode → preprocess → ONNX Runtime pipeline as a fine-tuned classifier folder.
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseExecutionProviderRequest } from '../../clip/inference/execution-providers';
import type { PreprocessorConfig } from '../../clip/images/preprocessor-config';
import { UserError } from '../../errors';
import { parseCsv } from '../../store/csv';
import type { AnalysisProgress } from '../analyze';
import type { ClassifierFolder } from '../finetuned/classifier-folder';
import { runClassifier } from '../finetuned/run-classifier';
import type { Report } from '../report';
import type { RunArtifacts } from '../run-artifacts';
import type { ExportTarget } from './export-target';

export interface VariantCheck {
  /** Which images: the run's test split (or every labelled image when it has none). */
  split: string;
  images: number;
  /** Images whose top-1 differs from the fp32 export's. */
  changed: number;
  /** Accuracy against the given labels, fp32 and this variant. */
  fp32Top1: number;
  variantTop1: number;
  /** Largest |logit − fp32 logit| over those images. */
  maxAbsLogitDiff: number;
}

interface CheckInputs {
  run: RunArtifacts;
  runDir: string;
  report: Report;
  target: ExportTarget;
  classes: string[];
  towerConfig: PreprocessorConfig;
  variantModel: string;
  buildFp32(): Promise<Uint8Array>;
  cacheDir: string;
  executionProvider?: string;
  signal?: AbortSignal;
  onProgress?(p: AnalysisProgress): void;
}

/** The run's test images with their given class, from predictions.csv. */
async function testImages(runDir: string, report: Report, classes: string[]): Promise<{ split: string; paths: string[]; labels: number[] }> {
  const rows = parseCsv(await fs.readFile(join(runDir, 'predictions.csv'), 'utf8').catch(() => {
    throw new UserError(`${runDir}: no predictions.csv, which names the test images the variant is checked on`);
  }));
  const [header, ...body] = rows;
  const col = (name: string) => header?.indexOf(name) ?? -1;
  const [p, s, g] = [col('path'), col('split'), col('given')];
  const index = new Map(classes.map((c, k) => [c, k]));
  const labelled = body.filter((r) => index.has(r[g]));
  const test = labelled.filter((r) => r[s] === 'test');
  const chosen = test.length ? test : labelled;
  return { split: test.length ? 'test' : 'all labelled images', paths: chosen.map((r) => resolve(report.dataset.root, r[p])), labels: chosen.map((r) => index.get(r[g])!) };
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

export async function compareWithFp32(inputs: CheckInputs): Promise<VariantCheck> {
  const { split, paths, labels } = await testImages(inputs.runDir, inputs.report, inputs.classes);
  const dir = inputs.target.path('.fp32-check');
  await fs.mkdir(dir, { recursive: true });
  try {
    const fp32Model = join(dir, 'model.onnx');
    await fs.writeFile(fp32Model, await inputs.buildFp32());
    const folder = (modelPath: string, name: string): ClassifierFolder => ({ dir, modelPath, config: inputs.towerConfig, labels: inputs.classes, name });
    const options = { cacheDir: inputs.cacheDir, provider: parseExecutionProviderRequest(inputs.executionProvider ?? 'auto'), decode: inputs.towerConfig.decode, signal: inputs.signal };
    const fp32 = await runClassifier(folder(fp32Model, 'fp32'), paths, options);
    const variant = await runClassifier(folder(inputs.variantModel, 'variant'), paths, options);
    const C = inputs.classes.length;
    let images = 0, changed = 0, right32 = 0, rightV = 0, maxDiff = 0;
    paths.forEach((_, r) => {
      if (!fp32.has[r] || !variant.has[r]) return;
      const a = fp32.raw.subarray(r * C, (r + 1) * C);
      const b = variant.raw.subarray(r * C, (r + 1) * C);
      for (let k = 0; k < C; k++) maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
      const [ta, tb] = [argmax(a), argmax(b)];
      images++;
      if (ta !== tb) changed++;
      if (ta === labels[r]) right32++;
      if (tb === labels[r]) rightV++;
    });
    const round = (v: number) => Number(v.toPrecision(6));
    return { split, images, changed, fp32Top1: round(images ? right32 / images : 0), variantTop1: round(images ? rightV / images : 0), maxAbsLogitDiff: round(maxDiff) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
