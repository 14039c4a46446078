import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors';
import type { Report } from '../engine/report';
import { metricsTable } from './analyze';
import { classifyFolder } from '../engine/classify';
import { defaultCacheDir } from '../store/cache-dir';
import { parseCommandArgs, required } from './args';
import { printJson, type Command } from './command';
import { withInterrupt } from './interrupt';
import { ProgressBar } from './progress-bar';
import { printable } from './terminal-text';

const USAGE = `gla classify FOLDER --run RUN_DIR --out predictions.csv [--save-logits DIR] [--provider …] [--batch-size N] [--json]

Applies a finished 'gla analyze' run to new images: every file under FOLDER gets the zero-shot, debiased,
fine-tuned, naive-ensemble and GLA predictions of that run's model, prior, fine-tuned model and temperatures.
When FOLDER holds class folders named as the run's classes (a shifted test set such as ImageNet-R), every model
is scored too: metrics.json beside predictions.csv (NAME.metrics.json beside NAME.csv), and a table.
--save-logits writes each model's logits (<model>.npy, rows as in the CSV) and labels.npy there.`;

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'apply a finished run to new images',
  usage: USAGE,
  async run(argv) {
    const { options, positionals } = parseCommandArgs('classify', argv, {
      run: 'string',
      out: 'string',
      provider: 'string',
      'batch-size': 'count',
      'save-logits': 'string',
      'cache-dir': 'string',
      json: 'boolean',
    });
    if (positionals.length !== 1) throw new UserError('gla classify: give exactly one FOLDER of images');
    const bar = new ProgressBar('embedding', 'img');
    const result = await withInterrupt((signal) =>
      classifyFolder(
        {
          folder: positionals[0],
          runDir: required('classify', 'run', options.run),
          out: required('classify', 'out', options.out),
          cacheDir: options['cache-dir'] ?? defaultCacheDir(),
          executionProvider: options.provider,
          batchSize: options['batch-size'],
          saveLogits: options['save-logits'],
        },
        { signal, onProgress: (p) => p.total !== undefined && bar.update(p.done ?? 0, p.total), onNotice: (m) => process.stderr.write(`warning: ${printable(m)}\n`) },
      ).finally(() => bar.finish()),
    );
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
