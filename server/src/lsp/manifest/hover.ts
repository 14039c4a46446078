// Hover on a class in gla.yaml: its prior, bias and recall from the latest run, and its prompts' token counts; on
// `model:` the known model, on `finetuned:` the path it resolves to.
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { CONTEXT_LENGTH } from '../../clip/text/tokenizer';
import { findModel } from '../../clip/models';
import type { ClassReport, Report } from '../../engine/report';
import type { ManifestClass } from '../../dataset/manifest';
import { defaultPrompt, finetunedLocation, promptTokenCounts } from '../../dataset/manifest-checks';
import { UNESTIMATED_PRIOR, findingLeadOf, fixed, modelNames, reportedModels, signed } from '../runs/bias-diagnostics';
import type { ManifestContext } from './manifest-context';
import { rangeContains } from './positions';

export function manifestHover(context: ManifestContext, position: Position): Hover | null {
  const { file } = context;
  const entry = file.classes?.find((c) => rangeContains(c.range, position));
  if (entry) return { contents: { kind: MarkupKind.Markdown, value: classHover(context, entry) }, range: entry.folderRange };
  if (file.model && rangeContains(file.model.range, position)) {
    const known = findModel(file.model.value);
    if (!known) return null;
    return { contents: { kind: MarkupKind.Markdown, value: `**${known.id}**: ${known.description}, ${known.dim}-d embeddings, ${known.imageSize}px input` }, range: file.model.range };
  }
  if (file.finetuned && rangeContains(file.finetuned.range, position)) {
    const path = finetunedLocation(file.finetuned.value, file.root);
    const value = `**Fine-tuned model** \`${path}\`: calibrated with GLA instead of the run's linear probe (a model folder, or a logits PREFIX with PREFIX.npy and PREFIX.json)`;
    return { contents: { kind: MarkupKind.Markdown, value }, range: file.finetuned.range };
  }
  return null;
}

function classHover(context: ManifestContext, entry: ManifestClass): string {
  const prompt = entry.prompt?.trim() || defaultPrompt(entry.folder);
  const lines = [`**${entry.folder}**, prompted as “${prompt}”`, ''];
  if (context.tokenizer) {
    const counts = promptTokenCounts(context.tokenizer, prompt, context.templates);
    const low = Math.min(...counts);
    const high = Math.max(...counts);
    const span = low === high ? `${high}` : `${low}–${high}`;
    lines.push(`Prompt tokens: ${span} over ${counts.length} template${counts.length === 1 ? '' : 's'} (CLIP reads ${CONTEXT_LENGTH})`, '');
  }
  const run = context.run;
  const c = run?.report.classes.find((k) => k.name.normalize('NFC') === entry.folder.normalize('NFC') || k.name === entry.prompt);
  if (!run) {
    lines.push(`No run yet: run ${context.wording.analyze} to see q, bias and recall here.`);
  } else if (!c) {
    lines.push(`Not in the latest run (${run.report.runId}).`);
  } else {
    const link = context.wording.panelLink?.(c.name, run.runDir);
    lines.push(...runLines(c, run.report), '', `Run ${run.report.runId}, ${run.report.createdAt}${link ? ` · ${link}` : ''}`);
  }
  return lines.join('\n');
}

function runLines(c: ClassReport, report: Report): string[] {
  const classes = report.classes.length;
  const models = reportedModels(report);
  const names = modelNames(report.finetuned);
  const lead = findingLeadOf(c, 'this class');
  return [
    c.priorEstimated === false ? UNESTIMATED_PRIOR : `q = ${c.prior.toPrecision(3)} (uniform ${(1 / classes).toPrecision(3)}) · bias log(C·q) = ${signed(c.bias)} nats · ${c.group}`,
    ...(lead ? ['', `**${lead}.**`] : []),
    '',
    `| | ${models.map((k) => names[k]).join(' | ')} |`,
    `|---|${models.map(() => '---:').join('|')}|`,
    `| recall | ${models.map((k) => fixed(c.recall?.[k] ?? null)).join(' | ')} |`,
    `| precision | ${models.map((k) => fixed(c.precision?.[k] ?? null)).join(' | ')} |`,
    '',
    `Support: train ${c.support.train} · val ${c.support.val} · test ${c.support.test}`,
  ];
}
