import { UserError } from '../errors';
import { matchPrior } from '../gla/label-free';
import { estimatePrior, type PriorEstimate } from '../gla/prior';
import { estimatePriorWithConfidenceTemperature, estimatePriorWithLikelihoodTemperature, type TemperatureRule } from '../gla/temperature';
import { writeFileAtomic } from '../store/atomic-write';
import { parseCommandArgs, required } from './args';
import { printJson, type Command } from './command';
import { readLabels, readMatrix, readPriorFile } from './inputs';

const USAGE = `gla prior --logits Z.npy --labels Y.npy [--temperature T | --calibrate [likelihood|confidence]] [--shrink L] [--json] [--out PRIOR.json]
       gla prior --logits Z.npy --label-free [--target PRIOR.json] [--temperature T] [--shrink L] [--json] [--out PRIOR.json]

Estimates CLIP's pre-training label prior q exactly (the optimum of a convex problem, by Newton-CG):
  --logits        zero-shot logits, samples × classes (.npy, float32/float64)
  --labels        class index per sample (.npy, int32/int64)
  --temperature   T in z/T (default 1: the logits as they are)
  --calibrate     fit T too: by likelihood jointly with q (default), or 'confidence' (the reference's rule:
                  mean max-confidence equals accuracy)
  --shrink        L2 shrinkage of log q toward uniform (for one- and two-shot data; places classes without labels at uniform)
  --label-free    no labels: fit q so the mean debiased prediction equals --target (uniform by default)
  --json          print the result as JSON
  --out           also write the JSON to this file`;

/** `--calibrate` takes an optional rule; util.parseArgs cannot, so fold a following rule word into it. */
function normaliseCalibrate(argv: string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    if (argv[k] === '--calibrate') {
      const next = argv[k + 1];
      if (next === 'likelihood' || next === 'confidence') {
        out.push(`--calibrate=${next}`);
        k++;
      } else {
        out.push('--calibrate=likelihood');
      }
    } else {
      out.push(argv[k]);
    }
  }
  return out;
}

export const priorCommand: Command = {
  name: 'prior',
  summary: "estimate CLIP's pre-training label prior from logits",
  usage: USAGE,
  async run(argv) {
    const { options, positionals } = parseCommandArgs('prior', normaliseCalibrate(argv), {
      logits: 'string',
      labels: 'string',
      temperature: 'number',
      calibrate: 'string',
      shrink: 'number',
      'label-free': 'boolean',
      target: 'string',
      json: 'boolean',
      out: 'string',
    });
    if (positionals.length) throw new UserError(`gla prior: unexpected argument '${positionals[0]}'`);
    const calibrate = options.calibrate as TemperatureRule | undefined;
    if (calibrate && calibrate !== 'likelihood' && calibrate !== 'confidence') {
      throw new UserError(`gla prior: --calibrate takes 'likelihood' or 'confidence', got '${calibrate}'`);
    }
    if (calibrate && options.temperature !== undefined) throw new UserError('gla prior: give either --temperature or --calibrate, not both');
    const labelFree = options['label-free'] ?? false;
    if (labelFree && options.labels) throw new UserError('gla prior: --label-free takes no --labels');
    if (labelFree && calibrate) throw new UserError('gla prior: --calibrate needs labels; use --temperature with --label-free');
    if (!labelFree && options.target) throw new UserError('gla prior: --target applies to --label-free only');

    const logits = await readMatrix(required('prior', 'logits', options.logits), 'logits');
    const shrink = options.shrink ?? 0;
    const started = performance.now();
    let estimate: PriorEstimate & { temperatureRule?: string; temperatureNote?: string };
    if (labelFree) {
      const target = options.target ? (await readPriorFile(options.target, 'target prior')).logPrior.map(Math.exp) : undefined;
      if (target && target.length !== logits.cols) throw new UserError(`gla prior: the target prior has ${target.length} classes but the logits have ${logits.cols}`);
      estimate = matchPrior(logits, { temperature: options.temperature, target, shrink });
    } else {
      const labels = await readLabels(required('prior', 'labels', options.labels));
      if (calibrate === 'likelihood') estimate = estimatePriorWithLikelihoodTemperature(logits, labels, shrink);
      else if (calibrate === 'confidence') estimate = estimatePriorWithConfidenceTemperature(logits, labels, shrink);
      else estimate = { ...estimatePrior(logits, labels, { temperature: options.temperature, shrink }), temperatureRule: 'fixed' };
    }
    const seconds = (performance.now() - started) / 1000;
    const result = {
      classes: logits.cols,
      samples: logits.rows,
      temperature: estimate.temperature,
      prior: Array.from(estimate.prior),
      logPrior: Array.from(estimate.logPrior),
      objective: estimate.objective,
      gradientNorm: estimate.gradientNorm,
      iterations: estimate.iterations,
      seconds,
      converged: estimate.converged,
      temperatureRule: labelFree ? 'fixed' : estimate.temperatureRule,
      shrink,
      labelFree,
      ...(estimate.temperatureNote ? { note: estimate.temperatureNote } : {}),
    };
    if (options.out) await writeFileAtomic(options.out, JSON.stringify(result, null, 2) + '\n');
    if (options.json) {
      printJson(result);
    } else {
      const bias = result.logPrior.map((l) => l + Math.log(result.classes));
      const order = bias.map((b, j) => [b, j] as const).sort((a, b) => b[0] - a[0]);
      const show = (list: (readonly [number, number])[]): string => list.map(([b, j]) => `${j} (${b >= 0 ? '+' : ''}${b.toFixed(2)})`).join(', ');
      const k = Math.min(5, result.classes);
      const lines = [
        `prior over ${result.classes} classes from ${result.samples} ${labelFree ? 'unlabelled' : 'labelled'} samples`,
        `  temperature    ${result.temperature.toPrecision(6)} (${result.temperatureRule})${result.note ? ` — ${result.note}` : ''}`,
        `  objective      ${result.objective}`,
        `  gradient norm  ${result.gradientNorm.toExponential(2)} after ${result.iterations} Newton iterations, ${seconds.toFixed(2)} s${result.converged ? '' : ' (NOT converged)'}`,
        `  most favoured  ${show(order.slice(0, k))}   (class, log(C·q) in nats)`,
        `  least favoured ${show(order.slice(-k).reverse())}`,
        options.out ? `wrote ${options.out}` : 'Use --json or --out PRIOR.json for the whole vector.',
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return result.converged ? 0 : 3;
  },
};
