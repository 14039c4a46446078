// Issue 9's figure: the probe (λ on val) and its 5-fold cross-fitting at 10 000 classes × 1 image, as analyze.ts
// runs them (ONNX Runtime's GEMM above the same size threshold), timed and with peak RSS.
import { ProbeObjectiveKernel } from '../../server/src/gemm/probe-objective';
import { crossFitProbe, fitProbe, type FittedPrior } from '../../server/src/engine/fit-models';
import { manyClassesData } from './many-classes-data';
import { peakRssMiB, resetPeakRss } from './peak-memory';
import { figure, note } from './report';

/** analyze.ts's images × classes × dims above which the probe's products go to ONNX Runtime. */
const GEMM_THRESHOLD = 1 << 20;

export async function benchProbeManyClasses(classes: number, perClass: number, dim: number, valPerClass = 0): Promise<void> {
  const name = `probe.${classes}-classes-${perClass}-shot-d${dim}`;
  note(`${name}: building ${classes * perClass} synthetic ${dim}-d embeddings`);
  const data = manyClassesData(classes, perClass, dim, valPerClass);
  const context = { classes, perClass, valPerClass, dim, images: data.labels.length };
  // q and T are not the probe's: a uniform prior stands in (the prior bench times fitPrior itself).
  const uniform = new Float64Array(classes).fill(1 / classes);
  const prior: FittedPrior = {
    prior: { temperature: 1, prior: uniform, logPrior: uniform.map(Math.log), objective: NaN, gradientNorm: 0, iterations: 0, converged: true, temperatureRule: 'likelihood' },
    priorFittedOn: 'train+val',
    unlabelled: [],
    notes: [],
  };
  resetPeakRss();
  const t0 = performance.now();
  const kernels = data.labels.length * classes * dim >= GEMM_THRESHOLD ? await ProbeObjectiveKernel.create() : undefined;
  if (kernels) data.algebra = kernels.algebra();
  const steps: string[] = [];
  const onProgress = (done: number, total: number, message: string): void => {
    const line = `${message} (${done}/${total})`;
    const iteration = /iteration (\d+)$/.exec(message);
    const shown = iteration ? process.env.GLA_BENCH_VERBOSE && Number(iteration[1]) % 5 === 0 : true;
    if (steps[steps.length - 1] !== line && shown) note(`  ${line} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    steps.push(line);
  };
  let probeSeconds = 0;
  try {
    const fitted = await fitProbe(data, prior, { onProgress });
    probeSeconds = (performance.now() - t0) / 1000;
    note(`  λ = ${fitted.probe.lambda}; ${fitted.probeSelection.length} candidate(s); notes: ${fitted.notes.join(' | ') || 'none'}`);
    await crossFitProbe(data, fitted, undefined, undefined, { onProgress });
  } finally {
    await kernels?.release();
  }
  const seconds = (performance.now() - t0) / 1000;
  figure(`${name}.seconds`, seconds, 's', { ...context, probeSeconds: Number(probeSeconds.toFixed(2)), crossFitSeconds: Number((seconds - probeSeconds).toFixed(2)), gemm: kernels !== undefined });
  figure(`${name}.peak_rss`, peakRssMiB(), 'MiB', context);
  figure(`${name}.progress_reports`, steps.length, 'calls', context);
}

/** `node out/test/bench/probe-many-classes.js CLASSES PER_CLASS DIM [VAL_PER_CLASS]`: one size, for experiments. */
if (require.main === module) {
  const [classes = 2000, perClass = 1, dim = 32, valPerClass = 0] = process.argv.slice(2).map(Number);
  benchProbeManyClasses(classes, perClass, dim, valPerClass).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
