// After a run: one diagnostic per class on its gla.yaml line, saying how CLIP's pre-training prior treats it.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { MODEL_KINDS, finetunedLabel, type ClassReport, type FinetunedSource, type ModelKind, type Report } from '../../engine/report';
import type { Manifest, ManifestClass, SourceRange } from '../../dataset/manifest';
import {
  FINDING_THRESHOLDS, classFinding, findingLead, type ClassFinding,
} from '../../engine/class-findings';

/** Thresholds of the findings (engine/class-findings.ts): a Warning for either kind, Information otherwise. */
export const BIAS_THRESHOLDS = FINDING_THRESHOLDS;

export const BIAS_SOURCE = 'gla';

/** Diagnostic codes: one per finding kind, and 'class-bias' for a class without one. */
export const FINDING_CODES: Record<ClassFinding, string> = { 'biased-against': 'bias-against-class', 'prompt-miss': 'prompt-misses-class' };

/** What a class's q says when it was not estimated: it had no labelled image, so its value is a placeholder. */
export const UNESTIMATED_PRIOR = 'q not estimated: no labelled images (a placeholder at the other classes\' geometric mean)';

/** The finding on a report's class, if any. */
export function findingOf(c: ClassReport): ClassFinding | undefined {
  return classFinding({ bias: c.bias, priorEstimated: c.priorEstimated, zeroShotRecall: c.recall?.zeroShot ?? null, glaRecall: c.recall?.gla ?? null });
}

/** The start of a message about report class `c` when it has a finding (see engine/class-findings.ts). */
export function findingLeadOf(c: ClassReport, subject: string): string | undefined {
  return findingLead(subject, { bias: c.bias, priorEstimated: c.priorEstimated, zeroShotRecall: c.recall?.zeroShot ?? null, glaRecall: c.recall?.gla ?? null });
}

/** What the editor calls each model: the fine-tuned one by its source ("fine-tuned (probe)"), the ensemble "naive ensemble". */
export function modelNames(finetuned: FinetunedSource | undefined): Record<ModelKind, string> {
  return { zeroShot: 'zero-shot', debiased: 'debiased', finetuned: finetunedLabel(finetuned), ensemble: 'naive ensemble', gla: 'GLA' };
}

/**
 * The models a report has numbers for, in MODEL_KINDS order. Reports written before the naive ensemble existed lack
 * it (in metrics and in every class): it is left out rather than shown as n/a.
 */
export function reportedModels(report: Pick<Report, 'metrics' | 'classes'>): ModelKind[] {
  const hasEnsemble = report.metrics?.ensemble !== undefined || report.classes.some((c) => c.recall?.ensemble !== undefined);
  return MODEL_KINDS.filter((k) => k !== 'ensemble' || hasEnsemble);
}

const FIRST_LINE: SourceRange = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** The gla.yaml entry of a report's class: by folder name, else by prompt. */
export function manifestClassFor(manifest: Manifest, name: string): ManifestClass | undefined {
  const key = name.normalize('NFC');
  const classes = manifest.classes ?? [];
  return classes.find((c) => c.folder.normalize('NFC') === key) ?? classes.find((c) => c.prompt?.normalize('NFC') === key);
}

/**
 * One finding per class that gla.yaml lists, on its folder line. When gla.yaml lists no classes (they default to
 * the folders), one summary on the first line names the classes CLIP is biased against.
 */
export function biasDiagnostics(report: Report, manifest: Manifest, runDir?: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const data = { runId: report.runId, ...(runDir ? { runDir } : {}) };
  if (!manifest.classes) {
    const of = (kind: ClassFinding) => report.classes.filter((c) => findingOf(c) === kind);
    const against = of('biased-against');
    const missed = of('prompt-miss');
    const list = (cs: ClassReport[], show: (c: ClassReport) => string) => cs.slice(0, 5).map(show).join(', ') + (cs.length > 5 ? ', …' : '');
    const parts = [
      against.length ? `CLIP is strongly biased against ${against.length} of ${report.classes.length} classes: ${list(against, (c) => `${c.name} (${signed(c.bias)} nats)`)}` : '',
      missed.length ? `CLIP's prompts miss ${missed.length}: ${list(missed, (c) => `${c.name} (zero-shot recall ${fixed(c.recall.zeroShot)} vs GLA ${fixed(c.recall.gla)})`)}` : '',
    ].filter(Boolean);
    out.push({
      range: FIRST_LINE,
      severity: parts.length ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      source: BIAS_SOURCE,
      code: parts.length ? (against.length ? FINDING_CODES['biased-against'] : FINDING_CODES['prompt-miss']) : 'class-bias',
      message: parts.length
        ? `${parts.join('. ')}. List the classes under classes: to see each on its line.`
        : `No class is strongly biased against, and CLIP's prompts find every class as well as GLA does (within ${BIAS_THRESHOLDS.recallGap} recall).`,
      data,
    });
    return out;
  }
  const C = report.classes.length;
  const models = reportedModels(report);
  const names = modelNames(report.finetuned);
  for (const c of report.classes) {
    const entry = manifestClassFor(manifest, c.name);
    if (!entry) continue;
    const kind = findingOf(c);
    const lead = findingLeadOf(c, `'${c.name}'`);
    out.push({
      range: entry.folderRange,
      severity: kind ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      source: BIAS_SOURCE,
      code: kind ? FINDING_CODES[kind] : 'class-bias',
      message: `${lead ? (kind === 'prompt-miss' ? `${lead}. ` : `${lead}: `) : `'${c.name}': `}${describeClass(c, C, models, names)}`,
      data: { ...data, className: c.name },
    });
  }
  return out;
}

function describeClass(c: ClassReport, classes: number, models: readonly ModelKind[], names: Record<ModelKind, string>): string {
  const parts = [c.priorEstimated === false ? UNESTIMATED_PRIOR : `q = ${c.prior.toPrecision(3)} (uniform ${(1 / classes).toPrecision(3)}), log(C·q) = ${signed(c.bias)} nats`];
  const r = c.recall;
  if (r.zeroShot !== null || r.gla !== null) {
    parts.push(`recall ${models.map((k) => `${names[k]} ${fixed(r[k] ?? null)}`).join(', ')}`);
  }
  parts.push(`support ${c.support.train}/${c.support.val}/${c.support.test} (train/val/test)`);
  return parts.join('; ');
}

export function signed(x: number): string {
  return (x > 0 ? '+' : x < 0 ? '−' : '') + Math.abs(x).toFixed(2);
}

export function fixed(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(2);
}
