import { errors } from '../errors.js';
import { modalitiesOf, TRAINING_HEADS, type TrainingHead } from '../ml/heads/kinds.js';
import { normaliseTrainingNames } from '../training/input.js';
import type { ModelComparisonInput } from './input.js';
import { outcomeOf, type ExperimentOutcome } from './outcome.js';
import type { Trial } from './plan.js';
import type { TrialRunner } from './trials.js';

const OBJECTIVE = { metric: 'microF1', split: 'val' };

/** The trials of a model comparison: the same head and training input, one per encoder. */
export function comparisonTrials(input: ModelComparisonInput): Trial[] {
  const head = String(normaliseTrainingNames({ head: input.head }).head) as TrainingHead;
  if (!TRAINING_HEADS.includes(head)) throw errors.badInput(`head must be one of ${TRAINING_HEADS.join(', ')}`, { field: 'head' });
  const uses = modalitiesOf(head);
  const modality = input.modality ?? (uses.image ? 'image' : 'text');
  if (!uses[modality]) throw errors.badInput(`head ${head} uses no ${modality} encoder to compare`, { field: 'modality' });
  const field = modality === 'image' ? 'visionEncoder' : 'textEncoder';
  return input.encoders.map((encoder, i) => ({
    key: `e${i}`,
    name: `${head} on ${encoder.id}`,
    input: { ...input.base, datasetId: input.datasetId, head, [field]: encoder, name: `${head} on ${encoder.id}` },
  }));
}

/** The paper's Table 1: one head over several encoders (size, time, validation F1 and loss). */
export async function runModelComparison(t: TrialRunner, input: ModelComparisonInput): Promise<ExperimentOutcome> {
  const trials = comparisonTrials(input);
  return outcomeOf(await t.runAll(trials, input.parallelism), OBJECTIVE, false, trials.length);
}
