// What a class's numbers say, in the same words in Problems, hovers, the bias panel and its CSV: CLIP's prior is
// against the class (q well below uniform), or CLIP's prompts miss it (zero-shot recall far below GLA's). Plain
// numbers in, so the language server and the panel (which also draws published profiles) share one rule.

/**
 * - biased-against: log(C·q) ≤ −1 nat, q at most 1/e ≈ 37% of the uniform 1/C (DESIGN step 9). Only then does any
 *   view say "biased against": q is below uniform.
 * - prompt-miss: zero-shot recall at least 0.2 below GLA's on the evaluation split, while q is not that low. The
 *   prior may even favour the class: the zero-shot prompts, not the prior, miss it.
 */
export const FINDING_THRESHOLDS = { bias: -1, recallGap: 0.2 } as const;

export type ClassFinding = 'biased-against' | 'prompt-miss';

export interface FindingInputs {
  /** log(C·q) in nats; null when the source has no q for the class. */
  bias: number | null;
  /** false when q is a placeholder (the class had no labelled image): no finding then. */
  priorEstimated?: boolean;
  zeroShotRecall: number | null;
  glaRecall: number | null;
}

export function classFinding(c: FindingInputs): ClassFinding | undefined {
  if (c.priorEstimated === false || c.bias === null) return undefined;
  if (c.bias <= FINDING_THRESHOLDS.bias) return 'biased-against';
  return recallGap(c) ? 'prompt-miss' : undefined;
}

/** Whether GLA's recall is at least 0.2 above zero-shot's. */
export function recallGap(c: Pick<FindingInputs, 'zeroShotRecall' | 'glaRecall'>): boolean {
  const { zeroShotRecall: zs, glaRecall: gla } = c;
  // Recalls are ratios: 0.7 − 0.5 is 0.19999… in floating point and must still count as a gap of 0.2.
  return zs !== null && gla !== null && gla - zs >= FINDING_THRESHOLDS.recallGap - 1e-9;
}

/** The finding in a few words, for a filter, a legend or a CSV cell. */
export const FINDING_LABELS: Record<ClassFinding, string> = {
  'biased-against': 'biased against',
  'prompt-miss': 'prompts miss it',
};

/** How CLIP's prior leans on a class the prompts miss, in words that agree with the sign of log(C·q). */
function priorClause(bias: number): string {
  if (bias >= 0.05) return `although CLIP's prior favours it (${signedNats(bias)})`;
  if (bias <= -0.05) return `with CLIP's prior a little below uniform for it (${signedNats(bias)})`;
  return `with CLIP's prior about uniform for it (${signedNats(bias)})`;
}

/**
 * The finding as the start of a message about `subject` ("'red circle'", "this class"), or undefined for none:
 * "CLIP is strongly biased against 'red circle'", or "CLIP's prompts miss 'blue circle': zero-shot recall 0.00 vs
 * GLA 1.00, although CLIP's prior favours it (+0.78 nats). A more specific prompt: or other templates may fix it".
 */
export function findingLead(subject: string, c: FindingInputs): string | undefined {
  const kind = classFinding(c);
  if (kind === 'biased-against') return `CLIP is strongly biased against ${subject}`;
  if (kind === 'prompt-miss') {
    return `CLIP's prompts miss ${subject}: zero-shot recall ${c.zeroShotRecall!.toFixed(2)} vs GLA ${c.glaRecall!.toFixed(2)}, ` +
      `${priorClause(c.bias!)}. A more specific prompt: or other templates may fix it`;
  }
  return undefined;
}

function signedNats(x: number): string {
  return `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(2)} nats`;
}
