// Hover on a class in gla.yaml: its prior, bias and recall from the latest run, and its prompts' token counts.
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver';
import { CONTEXT_LENGTH } from '../../clip/text/tokenizer';
import { findModel } from '../../clip/models';
import { MODEL_KINDS, type ClassReport, type ModelKind } from '../../engine/report';
import type { ManifestClass } from '../../dataset/manifest';
import { defaultPrompt, promptTokenCounts } from '../../dataset/manifest-checks';
import { UNESTIMATED_PRIOR, fixed, isStronglyBiasedAgainst, signed } from '../runs/bias-diagnostics';
import type { ManifestContext } from './manifest-context';
import { rangeContains } from './positions';

const MODEL_NAMES: Record<ModelKind, string> = { zeroShot: 'zero-shot', debiased: 'debiased', finetuned: 'fine-tuned', gla: 'GLA' };

export function manifestHover(context: ManifestContext, position: Position): Hover | null {
  const { file } = context;
  const entry = file.classes?.find((c) => rangeContains(c.range, position));
  if (entry) return { contents: { kind: MarkupKind.Markdown, value: classHover(context, entry) }, range: entry.folderRange };
  if (file.model && rangeContains(file.model.range, position)) {
    const known = findModel(file.model.value);
    if (!known) return null;
    return { contents: { kind: MarkupKind.Markdown, value: `**${known.id}**: ${known.description}, ${known.dim}-d embeddings, ${known.imageSize}px input` }, range: file.model.range };
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
    lines.push('No run yet: **GLA: Analyze Dataset** shows q, bias and recall here.');
  } else if (!c) {
    lines.push(`Not in the latest run (${run.report.runId}).`);
  } else {
    lines.push(...runLines(c, run.report.classes.length), '', `Run ${run.report.runId}, ${run.report.createdAt}`);
  }
  return lines.join('\n');
}

function runLines(c: ClassReport, classes: number): string[] {
  const verdict = isStronglyBiasedAgainst(c) ? ' — CLIP is strongly biased against this class' : '';
  return [
    c.priorEstimated === false ? UNESTIMATED_PRIOR : `q = ${c.prior.toPrecision(3)} (uniform ${(1 / classes).toPrecision(3)}) · bias log(C·q) = ${signed(c.bias)} nats · ${c.group}${verdict}`,
    '',
    `| | ${MODEL_KINDS.map((k) => MODEL_NAMES[k]).join(' | ')} |`,
    `|---|${MODEL_KINDS.map(() => '---:').join('|')}|`,
    `| recall | ${MODEL_KINDS.map((k) => fixed(c.recall[k])).join(' | ')} |`,
    `| precision | ${MODEL_KINDS.map((k) => fixed(c.precision[k])).join(' | ')} |`,
    '',
    `Support: train ${c.support.train} · val ${c.support.val} · test ${c.support.test}`,
  ];
}
