// Step 4's T_ft and step 5's p_s for a fine-tuned model the user brings: T_ft by likelihood on val (as for the
// probe), p_s from the train split's counts, or from --train-prior for a model trained elsewhere.
import { UserError } from '../../errors';
import type { DatasetClass } from '../../dataset/discover';
import { takeLabels, takeRows } from '../../gla/matrix';
import { temperatureByLikelihood } from '../../gla/temperature';
import type { AnalysisRequest } from '../analyze';
import { RUN_TEMPERATURE_BOUNDS, trainLabelPrior, type LabelledData } from '../fit-models';
import { matchClasses } from './class-names';
import type { FinetunedLogits } from './finetuned-stage';

export interface CalibratedFinetuned {
  temperature: number;
  logTrainPrior: Float64Array;
  notes: string[];
}

/** --train-prior in the dataset's class order: by class name when the file names them, else by position. */
export function trainPriorFor(prior: NonNullable<AnalysisRequest['trainPrior']>, classes: readonly DatasetClass[]): Float64Array {
  const { values, source } = prior;
  if (prior.classes) {
    if (prior.classes.length !== values.length) throw new UserError(`${source}: names ${prior.classes.length} classes but has ${values.length} values`);
    const { columnOf } = matchClasses(prior.classes, classes, source);
    const picked = Array.from(columnOf, (k) => values[k]);
    const sum = picked.reduce((a, b) => a + b, 0);
    return Float64Array.from(picked, (v) => Math.log(v / sum));
  }
  if (values.length !== classes.length) throw new UserError(`${source}: has ${values.length} classes but the dataset has ${classes.length}; give one probability per class, in the dataset's class order (or add "classes": [...])`);
  const sum = values.reduce((a, b) => a + b, 0);
  return Float64Array.from(values, (v) => Math.log(v / sum));
}

export function calibrateFinetuned(data: LabelledData, ft: FinetunedLogits, classes: readonly DatasetClass[], trainPrior?: AnalysisRequest['trainPrior']): CalibratedFinetuned {
  const notes: string[] = [];
  const withLogits = (rows: number[]) => rows.filter((r) => ft.has[r]);
  let fitOn = withLogits(data.val);
  if (fitOn.length === 0) {
    fitOn = withLogits(data.train);
    if (fitOn.length) notes.push('no val image has fine-tuned logits: T_ft was fitted on train');
  }
  let temperature = 1;
  if (fitOn.length) {
    const fit = temperatureByLikelihood(takeRows(ft.logits, fitOn), takeLabels(data.labels, fitOn), RUN_TEMPERATURE_BOUNDS);
    temperature = fit.temperature;
    if (fit.note) notes.push(`fine-tuned temperature: ${fit.note}`);
  } else {
    notes.push('no val or train image has fine-tuned logits: T_ft was left at 1');
  }
  let logTrainPrior: Float64Array;
  if (trainPrior) {
    logTrainPrior = trainPriorFor(trainPrior, classes);
  } else if (data.train.length) {
    const prior = trainLabelPrior(data);
    logTrainPrior = prior.logTrainPrior;
    if (prior.smoothed) notes.push('some classes have no train image; p_s was add-one smoothed');
  } else {
    logTrainPrior = new Float64Array(classes.length).fill(-Math.log(classes.length));
    notes.push('no train split and no --train-prior: p_s, the fine-tuned model\'s train label distribution, was taken as uniform');
  }
  return { temperature, logTrainPrior, notes };
}
