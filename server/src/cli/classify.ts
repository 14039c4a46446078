import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors';
import type { Report } from '../engine/report';
import { metricsTable } from './analyze';
import { classifyFolder } from '../engine/classify';
import { classifyWithModel } from '../engine/finetuned/classify-with-model';
import { defaultCacheDir } from '../store/cache-dir';
import { parseCommandArgs, required } from './args';
import { printJson, type Command } from './command';
import { withInterrupt } from './interrupt';
import { ProgressBar } from './progress-bar';
import { printable } from './terminal-text';

const USAGE = `gla classify FOLDER --run RUN_DIR --out predictions.csv [--save-logits DIR] [--provider …] [--batch-size N] [--json]
gla classify FOLDER --model MODEL_DIR --out predictions.csv [--save-logits DIR] [--provider …] [--batch-size N] [--json]

Applies a finished 'gla analyze' run to new images: every file under FOLDER gets the zero-shot, debiased,
fine-tuned, naive-ensemble and GLA predictions of that run's model, prior, fine-tuned model and temperatures.
When FOLDER holds class folders named as the run's classes (a shifted test set such as ImageNet-R), every model
is scored too: metrics.json beside predictions.csv (NAME.metrics.json beside NAME.csv), and a table.
--save-logits writes each model's logits (<model>.npy, rows as in the CSV) and labels.npy there.
--model instead runs an image-classification ONNX folder (a 'gla export', or any Hugging Face image-classification
export: onnx/model.onnx, preprocessor_config.json, config.json id2label): predictions.csv has path, given,
predicted and probability; with class folders named as its labels, its top-1 is printed; --save-logits writes
logits.npy (columns in id2label order).`;

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'apply a finished run to new images',
  usage: USAGE,
  async run(argv) {
    const { options, positionals } = parseCommandArgs('classify', argv, {
      run: 'string',
      model: 'string',
      out: 'string',
      provider: 'string',
      'batch-size': 'count',
      'save-logits': 'string',
      'cache-dir': 'string',
      json: 'boolean',
    });
    if (positionals.length !== 1) throw new UserError('gla classify: give exactly one FOLDER of images');
    if (options.model !== undefined && options.run !== undefined) throw new UserError('gla classify: give --run RUN_DIR or --model MODEL_DIR, not both');
    if (options.model !== undefined) return classifyWithModelCommand(positionals[0], options.model, options);
    const result = await withProgress('embedding', (hooks) => classifyFolder({ ...commonRequest(positionals[0], options), runDir: required('classify', 'run', options.run) }, hooks));
    if (options.json) printJson(result);
    else {
      process.stderr.write(`classified ${result.images} images into ${printable(result.predictionsPath)}${result.failed ? ` (${result.failed} skipped)` : ''}\n`);
      if (result.metrics && result.metricsPath) {
        const report = JSON.parse(await readFile(join(result.metrics.run, 'report.json'), 'utf8').catch(() => '{}')) as Partial<Report>;
        const lines = metricsTable(result.metrics.metrics, report.finetuned, `${result.metrics.labelled} images in class folders`);
        process.stdout.write(['', ...lines, '', `metrics: ${printable(result.metricsPath)}`].join('\n') + '\n');
      }
    }
    return 0;
  },
};

type ClassifyOptions = { out?: string; provider?: string; 'batch-size'?: number; 'save-logits'?: string; 'cache-dir'?: string; json?: boolean };

/** What --run and --model share: the folder, the output, the runtime's knobs. */
function commonRequest(folder: string, options: ClassifyOptions) {
  return {
    folder,
    out: required('classify', 'out', options.out),
    cacheDir: options['cache-dir'] ?? defaultCacheDir(),
    executionProvider: options.provider,
    batchSize: options['batch-size'],
    saveLogits: options['save-logits'],
  };
}

/** Runs one classification with a progress bar, Ctrl-C and warnings on stderr. */
function withProgress<T>(label: string, start: (hooks: { signal: AbortSignal; onProgress: (p: { done?: number; total?: number }) => void; onNotice: (m: string) => void }) => Promise<T>): Promise<T> {
  const bar = new ProgressBar(label, 'img');
  return withInterrupt((signal) =>
    start({ signal, onProgress: (p) => p.total !== undefined && bar.update(p.done ?? 0, p.total), onNotice: (m) => process.stderr.write(`warning: ${printable(m)}\n`) }).finally(() => bar.finish()),
  );
}

async function classifyWithModelCommand(folder: string, model: string, options: ClassifyOptions): Promise<number> {
  const result = await withProgress('classifying', (hooks) => classifyWithModel({ ...commonRequest(folder, options), model }, hooks));
  if (options.json) printJson(result);
  else {
    process.stderr.write(`classified ${result.images} images into ${printable(result.predictionsPath)}${result.failed ? ` (${result.failed} skipped)` : ''}\n`);
    if (result.top1 !== undefined) process.stdout.write(`top-1 ${(100 * result.top1).toFixed(1)}% on ${result.labelled} images in class folders\n`);
  }
  return 0;
}
