// After a run: one diagnostic per class on its gla.yaml line, saying how CLIP's pre-training prior treats it.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { MODEL_KINDS, finetunedLabel, type ClassReport, type FinetunedSource, type ModelKind, type Report } from '../../engine/report';
import type { Manifest, ManifestClass, SourceRange } from '../../dataset/manifest';

/**
 * When a class's finding is a Warning rather than Information. CLIP is "strongly biased against" a class when
 * - its bias log(C·q) is at most −1 nat: q is at most 1/e ≈ 37% of the uniform 1/C (DESIGN step 9), or
 * - its zero-shot recall is at least 0.2 below its GLA recall (both measured on the evaluation split).
 */
export const BIAS_THRESHOLDS = { bias: -1, recallGap: 0.2 } as const;

export const BIAS_SOURCE = 'gla';

/** What a class's q says when it was not estimated: it had no labelled image, so its value is a placeholder. */
export const UNESTIMATED_PRIOR = 'q not estimated: no labelled images (a placeholder at the other classes\' geometric mean)';

export function isStronglyBiasedAgainst(c: ClassReport): boolean {
  if (c.priorEstimated === false) return false;
  if (c.bias <= BIAS_THRESHOLDS.bias) return true;
  const zs = c.recall.zeroShot;
  const gla = c.recall.gla;
  // Recalls are ratios: 0.7 − 0.5 is 0.19999… in floating point and must still count as a gap of 0.2.
  return zs !== null && gla !== null && gla - zs >= BIAS_THRESHOLDS.recallGap - 1e-9;
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
export function biasDiagnostics(report: Report, manifest: Manifest): Diagnostic[] {
  const out: Diagnostic[] = [];
  const data = { runId: report.runId };
  if (!manifest.classes) {
    const biased = report.classes.filter(isStronglyBiasedAgainst);
    const listed = biased.slice(0, 5).map((c) => `${c.name} (${signed(c.bias)} nats)`).join(', ') + (biased.length > 5 ? ', …' : '');
    out.push({
      range: FIRST_LINE,
      severity: biased.length ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      source: BIAS_SOURCE,
      code: 'class-bias',
      message: biased.length
        ? `CLIP is strongly biased against ${biased.length} of ${report.classes.length} classes: ${listed}. List the classes under classes: to see each on its line.`
        : `CLIP's prior is within ${-BIAS_THRESHOLDS.bias} nat of uniform for all ${report.classes.length} classes.`,
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
    const biased = isStronglyBiasedAgainst(c);
    out.push({
      range: entry.folderRange,
      severity: biased ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
      source: BIAS_SOURCE,
      code: biased ? 'bias-against-class' : 'class-bias',
      message: (biased ? `CLIP is strongly biased against '${c.name}': ` : `'${c.name}': `) + describeClass(c, C, models, names),
      data,
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
