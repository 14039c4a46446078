import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors';
import type { Matrix } from '../gla/matrix';
import type { LinearProbe } from '../gla/probe/probe';
import { writeFileAtomic } from '../store/atomic-write';
import { readNpy, writeNpy } from '../store/npy';
import type { DecodeMode } from '../clip/images/preprocessor-config';
import type { FinetunedArtifact } from './finetuned/finetuned-stage';

/** Everything `gla classify` needs to apply a finished run to new images. */
export interface RunArtifacts {
  version: 1;
  /** decode: absent in runs before shrink-on-load, which decoded every pixel. */
  model: { id: string; dir: string; variant: string; logitScale: number; modelId: string; preprocessingVersion: string; decode?: DecodeMode };
  classes: { name: string; prompt: string }[];
  templates: string[];
  labelFree: boolean;
  temperature: number;
  logPrior: number[];
  /** Labelled runs only: the probe's λ, T_ft and p_s (when the probe is the fine-tuned model). */
  probe?: { lambda: number; temperature: number; logTrainPrior: number[] };
  /** Labelled runs only: T_ft and p_s of the fine-tuned model, and the user's model when it is theirs. */
  finetuned?: { temperature: number; logTrainPrior: number[]; user?: FinetunedArtifact };
  head: Matrix;
  probeWeights?: LinearProbe;
}

const FILES = { json: 'run.json', head: 'text-head.npy', weights: 'probe-weights.npy', bias: 'probe-bias.npy' };

/** Writes run.json and the arrays beside it (in a run folder that is renamed into place only when complete). */
export async function saveRunArtifacts(dir: string, artifacts: RunArtifacts): Promise<void> {
  const { head, probeWeights, ...json } = artifacts;
  await writeNpy(join(dir, FILES.head), { dtype: 'float64', shape: [head.rows, head.cols], data: Float64Array.from(head.data) });
  if (probeWeights) {
    await writeNpy(join(dir, FILES.weights), { dtype: 'float64', shape: [probeWeights.classes, probeWeights.dim], data: probeWeights.weights });
    await writeNpy(join(dir, FILES.bias), { dtype: 'float64', shape: [probeWeights.classes], data: probeWeights.bias });
  }
  await writeFileAtomic(join(dir, FILES.json), JSON.stringify(json, null, 2) + '\n');
}

export async function loadRunArtifacts(dir: string): Promise<RunArtifacts> {
  let json: Omit<RunArtifacts, 'head' | 'probeWeights'>;
  try {
    json = JSON.parse(await fs.readFile(join(dir, FILES.json), 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (await fs.readdir(dir).catch(() => [])).some((e) => /^seed-\d+$/.test(e))) {
      throw new UserError(`${dir} is a seeds run (mean ± sd over seeds): pass one of its seed-<s>/ run folders`);
    }
    throw new UserError(code === 'ENOENT' ? `${dir} is not a finished run folder (no ${FILES.json}); pass a folder written by gla analyze` : `${join(dir, FILES.json)}: ${String(err)}`);
  }
  if (json.version !== 1) throw new UserError(`${join(dir, FILES.json)}: unsupported run format version ${String(json.version)}`);
  const head = await readNpy(join(dir, FILES.head));
  const artifacts: RunArtifacts = { ...json, head: { data: head.data as Float64Array, rows: head.shape[0], cols: head.shape[1] } };
  if (json.probe) {
    const w = await readNpy(join(dir, FILES.weights));
    const b = await readNpy(join(dir, FILES.bias));
    artifacts.probeWeights = { classes: w.shape[0], dim: w.shape[1], weights: w.data as Float64Array, bias: b.data as Float64Array, lambda: json.probe.lambda };
  }
  return artifacts;
}
