import { UserError } from '../errors';
import { classGroups, evaluateLogits } from '../gla/metrics';
import { parseCommandArgs, required } from './args';
import { printJson, type Command } from './command';
import { assertSameClasses, readLabels, readMatrix, readPriorFile } from './inputs';

const USAGE = `gla evaluate --logits L.npy --labels Y.npy [--prior PRIOR.json] [--json]

Scores logits against labels: top-1, mean and per-class recall, NLL, ECE (15 bins), and with --prior the mean
recall of the head, medium and tail thirds of classes ranked by q.`;

const pct = (v: number | null): string => (v === null ? '—' : `${(100 * v).toFixed(2)}%`);

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'score logits: top-1, mean recall, head/medium/tail, NLL, ECE',
  usage: USAGE,
  async run(argv) {
    const { options, positionals } = parseCommandArgs('evaluate', argv, { logits: 'string', labels: 'string', prior: 'string', json: 'boolean' });
    if (positionals.length) throw new UserError(`gla evaluate: unexpected argument '${positionals[0]}'`);
    const logits = await readMatrix(required('evaluate', 'logits', options.logits), 'logits');
    const labels = await readLabels(required('evaluate', 'labels', options.labels));
    const prior = options.prior ? await readPriorFile(options.prior) : undefined;
    if (prior) assertSameClasses(logits.cols, prior.logPrior.length, 'the prior');
    if (logits.rows === 0) throw new UserError('gla evaluate: the logits have no rows');
    const evaluation = evaluateLogits(logits, labels, prior ? classGroups(prior.logPrior) : undefined);
    const result = {
      top1: evaluation.top1,
      meanRecall: evaluation.meanRecall,
      perClassRecall: evaluation.perClassRecall,
      perClassPrecision: evaluation.perClassPrecision,
      head: evaluation.head,
      medium: evaluation.medium,
      tail: evaluation.tail,
      nll: evaluation.nll,
      ece: evaluation.ece,
      samples: logits.rows,
      classes: logits.cols,
      groupsBy: prior ? 'prior' : null,
    };
    if (options.json) {
      printJson(result);
    } else {
      process.stdout.write(
        [
          `${result.samples} samples, ${result.classes} classes`,
          `  top-1        ${pct(result.top1)}`,
          `  mean recall  ${pct(result.meanRecall)}`,
          prior ? `  head/medium/tail (by q)  ${pct(result.head)} / ${pct(result.medium)} / ${pct(result.tail)}` : '  head/medium/tail  (pass --prior to group classes by q)',
          `  NLL          ${result.nll.toFixed(4)}`,
          `  ECE          ${pct(result.ece)}`,
        ].join('\n') + '\n',
      );
    }
    return 0;
  },
};
