import { UserError } from '../errors';
import { exportClassifier } from '../engine/export/export-classifier';
import { defaultCacheDir } from '../store/cache-dir';
import { parseCommandArgs, required } from './args';
import { printJson, type Command } from './command';
import { withInterrupt } from './interrupt';
import { printable } from './terminal-text';

const USAGE = `gla export RUN_DIR --out DIR [--model gla|debiased|zero-shot|finetuned] [--variant fp32|fp16|quantized|int8]
           [--provider …] [--cache-dir DIR] [--json]

Writes a finished run's classifier as a Hugging Face image-classification ONNX folder in the new folder DIR:
onnx/model.onnx (input pixel_values [N,3,H,W], output logits [N,C]: the vision tower, normalisation, the zero-shot
head over its temperature, − log q, the probe or your fine-tuned model over T_ft, − log p_s, in one graph),
config.json (id2label, and the run's provenance under "gla") and the tower's preprocessor_config.json. Its logits
are the ones 'gla classify' computes (--model, default gla; debiased for a label-free run). The folder is itself a
fine-tuned model for 'gla analyze --finetuned' and a model for 'gla classify FOLDER --model DIR'.
--variant builds it from the tower's fp16 or int8 (vision_model_quantized.onnx) file (default: the run's own) and
reports the top-1 change against fp32 on the run's test split. A fine-tuned model that takes other pixels than the
tower is exported as two models plus onnx/head.onnx (config.json's gla.layoutNote says how to chain them).`;

export const exportCommand: Command = {
  name: 'export',
  summary: "export a run's classifier as one ONNX model folder",
  usage: USAGE,
  async run(argv) {
    const { options, positionals } = parseCommandArgs('export', argv, {
      out: 'string',
      model: 'string',
      variant: 'string',
      provider: 'string',
      'cache-dir': 'string',
      json: 'boolean',
    });
    if (positionals.length !== 1) throw new UserError('gla export: give exactly one RUN_DIR (a folder written by gla analyze)');
    const result = await withInterrupt((signal) =>
      exportClassifier(
        {
          runDir: positionals[0],
          out: required('export', 'out', options.out),
          model: options.model,
          variant: options.variant,
          cacheDir: options['cache-dir'] ?? defaultCacheDir(),
          executionProvider: options.provider,
        },
        { signal, onNotice: (m) => process.stderr.write(`warning: ${printable(m)}\n`) },
      ),
    );
    if (options.json) {
      printJson(result);
      return 0;
    }
    for (const note of result.notes) process.stderr.write(`note: ${printable(note)}\n`);
    const lines = [`exported the ${result.model} classifier (${result.variant}, ${result.classes} classes, ${result.layout}) into ${printable(result.out)}`];
    const v = result.variantCheck;
    if (v) {
      lines.push(`${result.variant} against fp32 on ${v.images} images (${v.split}): top-1 changed on ${v.changed} (${((100 * v.changed) / Math.max(1, v.images)).toFixed(1)}%), accuracy ${(100 * v.fp32Top1).toFixed(1)}% → ${(100 * v.variantTop1).toFixed(1)}%, max |Δlogit| ${v.maxAbsLogitDiff.toPrecision(3)}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
