import { relative } from 'node:path';
import { UserError } from '../errors';
import { analyzeDataset, type AnalysisProgress } from '../engine/analyze';
import { MODEL_KINDS, finetunedLabel, type ModelKind, type Report } from '../engine/report';
import { flaggedAt, labelIssueThreshold } from '../gla/label-issue-threshold';
import { analyzeSeeds } from '../engine/seeds';
import { defaultCacheDir } from '../store/cache-dir';
import { parseCommandArgs } from './args';
import { printJson, type Command } from './command';
import { readPriorFile } from './inputs';
import { withInterrupt } from './interrupt';
import { ProgressBar } from './progress-bar';
import { printable } from './terminal-text';

const USAGE = `gla analyze DATASET [--model DIR|ID] [--out DIR] [--json]
            [--shots K [--seed S | --seeds 1,2,3]] [--label-free [--target-prior P.json]] [--embeddings PREFIX]
            [--finetuned MODEL_DIR|PREFIX [--train-prior P.json]]
            [--templates T ...] [--calibrate likelihood|confidence] [--provider auto|cpu|cuda|…] [--batch-size N]
            [--exact-decode] [--allow-outside-paths]

Classifies a dataset with CLIP, estimates CLIP's pre-training label bias q, fits a linear probe (or takes your
own fine-tuned model with --finetuned: a Hugging Face image-classification ONNX folder, or logits PREFIX.npy +
PREFIX.json {paths, classes}), combines both with GLA, and flags suspected mislabelled images. --train-prior gives
the label distribution a model trained elsewhere saw (default: this dataset's train split). --seeds runs the
--shots protocol once per seed and reports mean ± sd. DATASET is a folder of class folders (optionally under
train/ val/ test/), a gla.yaml, or a path,label[,split] CSV. Writes report.json and predictions.csv to
.gla/runs/<time>/ (or --out DIR: a new folder, or an earlier run folder, which is replaced). A CSV's paths must
stay inside its folder unless --allow-outside-paths is given. The model is downloaded on first use when it is a known id.
Large JPEG and WebP photos are decoded at 1/2, 1/4 or 1/8 scale while at least 1.5× the model's input (a 12 MP
photo in under half the time, within cosine 0.9997 of PIL's pixels); --exact-decode decodes every pixel, as PIL does.`;

const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '    —' : `${(100 * v).toFixed(1).padStart(5)}%`);

/** What the tables call each model; the fine-tuned row names its source. */
export function modelLabels(finetuned: Report['finetuned']): Record<ModelKind, string> {
  return { zeroShot: 'zero-shot', debiased: 'debiased zero-shot', finetuned: finetunedLabel(finetuned), ensemble: 'naive ensemble', gla: 'GLA' };
}

/** The five models' rows: top-1 (± sd over seeds), mean recall and the head/medium/tail thirds by q. */
export function metricsTable(metrics: Partial<Report['metrics']>, finetuned: Report['finetuned'], on: string): string[] {
  const label = modelLabels(finetuned);
  const width = Math.max(20, ...MODEL_KINDS.map((k) => label[k].length + 1));
  const seeded = MODEL_KINDS.some((k) => metrics[k]?.sd);
  const top1 = (m: Report['metrics'][ModelKind] | undefined): string => (seeded ? `${pct(m?.top1)} ± ${m?.sd ? (100 * m.sd.top1).toFixed(1).padStart(4) : '   —'}` : pct(m?.top1));
  const lines = [`${'model'.padEnd(width)} ${'top-1'.padStart(seeded ? 13 : 6)} ${'mean rec.'.padStart(9)} ${'head'.padStart(6)} ${'medium'.padStart(6)} ${'tail'.padStart(6)}   (${on})`];
  for (const k of MODEL_KINDS) {
    const m = metrics[k];
    lines.push(`${printable(label[k]).padEnd(width)} ${top1(m)} ${pct(m?.meanRecall).padStart(9)} ${pct(m?.head)} ${pct(m?.medium)} ${pct(m?.tail)}`);
  }
  return lines;
}

/** The closing summary: the five models' metrics and the most and least favoured classes. */
export function summaryTable(report: Report, runDir: string): string {
  const lines = [''];
  if (report.labelFree) {
    lines.push(`label-free run: ${report.classes.length} classes, predictions for every image (no labels, so no accuracy)`);
  } else {
    const on = report.seeds ? `${report.evaluatedOn}, mean ± sd over seeds ${report.seeds.join(', ')}` : report.evaluatedOn;
    lines.push(...metricsTable(report.metrics, report.finetuned, on));
  }
  const sorted = [...report.classes].sort((a, b) => b.bias - a.bias);
  const fmt = (c: Report['classes'][number]): string => `${printable(c.name)} (${c.bias >= 0 ? '+' : ''}${c.bias.toFixed(2)})`;
  const k = Math.min(3, sorted.length);
  lines.push('', `CLIP favours  ${sorted.slice(0, k).map(fmt).join(', ')}`, `CLIP neglects ${sorted.slice(-k).reverse().map(fmt).join(', ')}   (log(C·q), nats)`);
  const flagged = flaggedAt(report.labelIssues, labelIssueThreshold(report.labelIssueThreshold));
  const reviewed = report.labelIssuesReviewed ? ` (${report.labelIssuesReviewed} more marked "not an error" in .gla/reviewed.json)` : '';
  if (flagged.length) lines.push(`${flagged.length} suspected label error(s), e.g. ${printable(flagged[0].path)} → ${printable(flagged[0].suggested)}${reviewed}`);
  else if (reviewed) lines.push(`no suspected label errors${reviewed}`);
  if (report.failed.length) lines.push(`${report.failed.length} file(s) skipped, e.g. ${printable(report.failed[0].path)}: ${printable(report.failed[0].error)}`);
  for (const note of report.notes) lines.push(`note: ${printable(note)}`);
  const where = printable(relative(process.cwd(), runDir) || '.');
  lines.push('', report.seeds ? `report: ${where}/report.json   per seed: ${where}/seed-<s>/` : `report: ${where}/report.json   predictions: ${where}/predictions.csv`);
  return lines.join('\n') + '\n';
}

/** "1,2,3" → [1, 2, 3]: whole numbers, each once. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) throw new UserError(`gla analyze: --seeds takes whole numbers separated by commas (e.g. 1,2,3), got '${text}'`);
  const values = seeds.map(Number);
  if (new Set(values).size !== values.length) throw new UserError(`gla analyze: --seeds ${text} repeats a seed`);
  return values;
}

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: 'classify a dataset, measure CLIP\'s label bias and fix it with GLA',
  usage: USAGE,
  async run(argv) {
    const { options, positionals } = parseCommandArgs('analyze', argv, {
      model: 'string',
      out: 'string',
      json: 'boolean',
      shots: 'count',
      seed: 'number',
      'label-free': 'boolean',
      'target-prior': 'string',
      embeddings: 'string',
      finetuned: 'string',
      'train-prior': 'string',
      seeds: 'string',
      templates: 'strings',
      calibrate: 'string',
      provider: 'string',
      'batch-size': 'count',
      'cache-dir': 'string',
      'allow-outside-paths': 'boolean',
      'exact-decode': 'boolean',
    });
    if (positionals.length !== 1) throw new UserError('gla analyze: give exactly one DATASET (a folder, a gla.yaml or a CSV)');
    const rule = options.calibrate;
    if (rule !== undefined && rule !== 'likelihood' && rule !== 'confidence') throw new UserError(`gla analyze: --calibrate takes likelihood or confidence, got '${rule}'`);
    if (options['target-prior'] && !options['label-free']) throw new UserError('gla analyze: --target-prior applies to --label-free runs');
    const targetPrior = options['target-prior'] ? Array.from((await readPriorFile(options['target-prior'], 'target prior')).logPrior, Math.exp) : undefined;
    if (options['train-prior'] && !options.finetuned) throw new UserError('gla analyze: --train-prior applies to a model trained elsewhere: give --finetuned too (the probe is trained on this dataset\'s train split)');
    const trainPriorFile = options['train-prior'] ? await readPriorFile(options['train-prior'], 'train prior') : undefined;
    const trainPrior = trainPriorFile && { values: Array.from(trainPriorFile.logPrior, Math.exp), classes: trainPriorFile.classes, source: options['train-prior']! };
    const seeds = options.seeds === undefined ? undefined : parseSeeds(options.seeds);
    if (seeds && options.seed !== undefined) throw new UserError('gla analyze: give --seed S or --seeds S1,S2,…, not both');
    const bar = new ProgressBar('embedding', 'img');
    // The probe's fits (λ path, folds) are counted under their stage's heading, with the fit in progress named.
    const steps = new ProgressBar('  step', 'steps');
    let stage = '';
    const onProgress = (p: AnalysisProgress): void => {
      if (p.stage === 'embed' && p.total !== undefined) {
        bar.update(p.done ?? 0, p.total, /cached/.test(p.message) ? p.message.replace(/^embedding images /, '') : '');
        return;
      }
      if (p.stage !== stage) {
        if (stage === 'embed') bar.finish();
        steps.finish();
        stage = p.stage;
        process.stderr.write(`• ${printable(p.message)}\n`);
      } else if (p.stage === 'probe' && p.total !== undefined) {
        steps.update(p.done ?? 0, p.total, printable(p.message));
      }
    };
    const { runDir, report } = await withInterrupt((signal) =>
      (seeds ? analyzeSeeds : analyzeDataset)(
        {
          dataset: positionals[0],
          model: options.model,
          out: options.out,
          cacheDir: options['cache-dir'] ?? defaultCacheDir(),
          executionProvider: options.provider,
          batchSize: options['batch-size'],
          templates: options.templates,
          shots: options.shots,
          seed: options.seed,
          labelFree: options['label-free'],
          targetPrior,
          embeddings: options.embeddings,
          finetuned: options.finetuned,
          trainPrior,
          seeds,
          allowOutsidePaths: options['allow-outside-paths'],
          exactDecode: options['exact-decode'],
          temperatureRule: rule as 'likelihood' | 'confidence' | undefined,
        },
        {
          signal,
          onProgress,
          onNotice: (m) => process.stderr.write(`warning: ${printable(m)}\n`),
          onManifestWarning: (line) => process.stderr.write(`warning: ${printable(line)}\n`),
        },
      ).finally(() => {
        bar.finish();
        steps.finish();
      }),
    );
    if (options.json) printJson({ runDir, ...report });
    else process.stdout.write(summaryTable(report, runDir));
    return 0;
  },
};
