import { UserError } from '../errors';
import { classifyFolder } from '../engine/classify';
import { defaultCacheDir } from '../store/cache-dir';
import { parseCommandArgs, required } from './args';
import { printJson, type Command } from './command';
import { withInterrupt } from './interrupt';
import { ProgressBar } from './progress-bar';
import { printable } from './terminal-text';

const USAGE = `gla classify FOLDER --run RUN_DIR --out predictions.csv [--provider …] [--batch-size N] [--json]

Applies a finished 'gla analyze' run to new images: every file under FOLDER gets the zero-shot, debiased,
fine-tuned and GLA predictions of that run's model, prior, probe and temperatures.`;

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
        },
        { signal, onProgress: (p) => p.total !== undefined && bar.update(p.done ?? 0, p.total), onNotice: (m) => process.stderr.write(`warning: ${printable(m)}\n`) },
      ).finally(() => bar.finish()),
    );
    if (options.json) printJson(result);
    else process.stderr.write(`classified ${result.images} images into ${printable(result.predictionsPath)}${result.failed ? ` (${result.failed} skipped)` : ''}\n`);
    return 0;
  },
};
