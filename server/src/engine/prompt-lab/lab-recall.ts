// Zero-shot and debiased recall per class on a run's evaluation split, scored exactly as scoreStage scores them.
import { throwIfCancelled } from '../../errors';
import { EvaluationAccumulator } from '../../gla/metrics';
import { blocksOf, zeroShotRows, type LabelledData } from '../fit-models';

export interface LabRecall {
  zeroShot: (number | null)[];
  debiased: (number | null)[];
}

/** argmax z and argmax z/T − log q (DESIGN step 3) on test, else on every labelled row, as a run evaluates. */
export async function zeroShotAndDebiasedRecall(data: LabelledData, temperature: number, logPrior: Float64Array, signal?: AbortSignal): Promise<LabRecall> {
  const classes = logPrior.length;
  const rows = data.test.length ? data.test : Array.from({ length: data.labels.length }, (_, r) => r);
  const zeroShot = new EvaluationAccumulator(classes);
  const debiased = new EvaluationAccumulator(classes);
  const a = 1 / temperature;
  const row = new Float64Array(classes);
  for (const block of blocksOf(data, rows)) {
    throwIfCancelled(signal);
    const z = (await zeroShotRows(data, block)).data;
    block.forEach((r, m) => {
      const off = m * classes;
      const y = data.labels[r];
      zeroShot.add(z, m, y);
      for (let j = 0; j < classes; j++) row[j] = a * z[off + j] - logPrior[j];
      debiased.add(row, 0, y);
    });
  }
  return { zeroShot: zeroShot.result().perClassRecall, debiased: debiased.result().perClassRecall };
}
