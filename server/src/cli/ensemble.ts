import { UserError } from '../errors';
import { glaLogits, logDistribution } from '../gla/ensemble';
import { classCounts } from '../gla/matrix';
import { writeNpy } from '../store/npy';
import { parseCommandArgs, required } from './args';
import type { Command } from './command';
import { assertSameClasses, readLabels, readMatrix, readPriorFile } from './inputs';

const USAGE = `gla ensemble --zeroshot Z.npy --finetuned F.npy --prior PRIOR.json [--train-labels Y.npy | --train-prior P.json]
             [--zs-temperature a] [--ft-temperature b] [--target-prior P.json] --out OUT.npy

Combines a zero-shot and a fine-tuned model with GLA: z_gla = z_ft/b + z/a − log q − log p_s (+ log π).
  --prior           q, e.g. the output of 'gla prior --out'
  --train-labels    the fine-tuned model's train labels, for p_s (long-tailed train splits); or
  --train-prior     p_s directly; neither means a balanced train split
  --zs-temperature  a (default: the temperature recorded in PRIOR.json, else 1)
  --ft-temperature  b (default 1)
  --target-prior    π, a declared non-uniform test distribution
  --out             where to write the GLA logits (.npy, float32)`;

export const ensembleCommand: Command = {
  name: 'ensemble',
  summary: 'combine zero-shot and fine-tuned logits with GLA',
  usage: USAGE,
  async run(argv) {
    const { options, positionals } = parseCommandArgs('ensemble', argv, {
      zeroshot: 'string',
      finetuned: 'string',
      prior: 'string',
      'train-labels': 'string',
      'train-prior': 'string',
      'zs-temperature': 'number',
      'ft-temperature': 'number',
      'target-prior': 'string',
      out: 'string',
    });
    if (positionals.length) throw new UserError(`gla ensemble: unexpected argument '${positionals[0]}'`);
    if (options['train-labels'] && options['train-prior']) throw new UserError('gla ensemble: give either --train-labels or --train-prior, not both');
    const out = required('ensemble', 'out', options.out);
    const zeroShot = await readMatrix(required('ensemble', 'zeroshot', options.zeroshot), 'zero-shot logits');
    const finetuned = await readMatrix(required('ensemble', 'finetuned', options.finetuned), 'fine-tuned logits');
    const prior = await readPriorFile(required('ensemble', 'prior', options.prior));
    assertSameClasses(zeroShot.cols, prior.logPrior.length, 'the prior');
    let logTrainPrior: Float64Array | undefined;
    if (options['train-labels']) {
      const labels = await readLabels(options['train-labels'], 'train labels');
      for (let i = 0; i < labels.length; i++) {
        if (!(labels[i] >= 0 && labels[i] < zeroShot.cols)) {
          throw new UserError(`train labels[${i}] = ${labels[i]} is out of range: there are ${zeroShot.cols} classes`);
        }
      }
      logTrainPrior = logDistribution(classCounts(labels, zeroShot.cols), 'train labels');
    } else if (options['train-prior']) {
      logTrainPrior = (await readPriorFile(options['train-prior'], 'train prior')).logPrior;
      assertSameClasses(zeroShot.cols, logTrainPrior.length, 'the train prior');
    }
    const logTargetPrior = options['target-prior'] ? (await readPriorFile(options['target-prior'], 'target prior')).logPrior : undefined;
    if (logTargetPrior) assertSameClasses(zeroShot.cols, logTargetPrior.length, 'the target prior');
    const gla = glaLogits({
      zeroShot,
      finetuned,
      logPrior: prior.logPrior,
      zeroShotTemperature: options['zs-temperature'] ?? prior.temperature ?? 1,
      finetunedTemperature: options['ft-temperature'] ?? 1,
      logTrainPrior,
      logTargetPrior,
    });
    await writeNpy(out, { dtype: 'float32', shape: [gla.rows, gla.cols], data: Float32Array.from(gla.data) });
    process.stderr.write(`wrote ${out} (${gla.rows} × ${gla.cols} GLA logits)\n`);
    return 0;
  },
};
