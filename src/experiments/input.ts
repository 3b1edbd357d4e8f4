import { z } from 'zod';
import { errors } from '../errors.js';

/** The experiment kinds; each is a run of this kind whose children are its trials. */
export const EXPERIMENT_KINDS = ['sweep', 'model-comparison', 'ablation', 'pseudo-label'] as const;
export type ExperimentKind = (typeof EXPERIMENT_KINDS)[number];

/** A child of a pseudo-labelling experiment: one round, parent of that round's trials. */
export const ROUND_KIND = 'pseudo-label-round';

const trainingFields = z.record(z.string(), z.unknown());
const objective = z
  .object({ metric: z.string().min(1).default('microF1'), split: z.string().min(1).default('val') })
  .default({ metric: 'microF1', split: 'val' });

const common = {
  datasetId: z.string().min(1, 'datasetId must not be empty'),
  name: z.string().max(200).nullish(),
  /** training input every trial shares (any startTraining field except datasetId) */
  base: trainingFields.default({}),
  /** trials trained at the same time */
  parallelism: z.number().int().min(1, 'parallelism must be at least 1').max(32).default(2),
};

const sweepParam = z
  .object({
    /** a training input field; nested fields with dots (augmentation.flip) */
    name: z.string().min(1),
    values: z.array(z.unknown()).min(1, 'values must not be empty').nullish(),
    min: z.number().nullish(),
    max: z.number().nullish(),
    log: z.boolean().default(false),
    integer: z.boolean().default(false),
  })
  .refine((p) => p.values?.length || (p.min != null && p.max != null && p.min <= p.max), { message: 'give values, or min ≤ max' })
  .refine((p) => !p.log || p.values?.length || (p.min ?? 0) > 0, { message: 'a log range needs min > 0' });

export const sweepInputSchema = z.object({
  ...common,
  space: z.array(sweepParam).min(1, 'space must name at least one parameter').max(20),
  strategy: z.enum(['grid', 'random'], { message: 'strategy must be grid or random' }).default('grid'),
  /** random search: number of trials */
  trials: z.number().int().min(1).max(500).default(10),
  seed: z.number().int().default(42),
  objective,
  /** median stopping: a trial whose best so far is below the median of the others at the same epoch stops */
  earlyTermination: z
    .object({
      /** epochs every trial runs before it can be stopped */
      graceEpochs: z.number().int().min(1).default(3),
      /** other trials that must have reached the epoch for the median to count */
      minTrials: z.number().int().min(1).default(3),
    })
    .nullish(),
});

export const modelComparisonInputSchema = z.object({
  ...common,
  /** the head every encoder is tried with */
  head: z.string().default('vision'),
  /** the encoders compared; they replace the head's vision or text encoder */
  encoders: z.array(z.object({ id: z.string().min(1), path: z.string().nullish(), hubId: z.string().nullish() })).min(1, 'encoders must not be empty').max(20),
  /** which encoder the list replaces; by default the one the head uses (vision for fused heads) */
  modality: z.enum(['image', 'text']).nullish(),
});

export const ablationInputSchema = z.object({
  ...common,
  /**
   * logits: FM1/FM2/FM3 average the logits of the finished vision, text, +FCNN and
   * +cross-attention runs (as the paper does); joint: each fusion is trained as one model
   */
  fusion: z.enum(['logits', 'joint'], { message: 'fusion must be logits or joint' }).default('logits'),
  /** the text-only configuration: a head on text features, or BERT fine-tuned (the paper's) */
  textHead: z.enum(['text', 'text-finetune'], { message: 'textHead must be text or text-finetune' }).default('text'),
});

export const pseudoLabelInputSchema = z.object({
  ...common,
  /** the unlabelled samples: a dataset (its labels, if any, are ignored), or a split of it */
  unlabelledDatasetId: z.string().min(1, 'unlabelledDatasetId must not be empty'),
  unlabelledSplit: z.enum(['TRAIN', 'VAL', 'UNLABELLED']).nullish(),
  maxRounds: z.number().int().min(1).max(10).default(3),
  /** keep a pseudo-labelled sample only when its top class probability reaches this */
  minConfidence: z.number().min(0).max(1).default(0),
  /** a round must beat the best validation score by more than this to continue */
  minImprovement: z.number().min(0).default(0),
  /**
   * transductive: after the last round, the best round's fused model predicts the unlabelled
   * samples (the set to predict, e.g. the test set) into the experiment's `submission` artifact
   */
  predictUnlabelled: z.boolean().default(false),
  objective,
  /** training input of the text and vision trials (on top of base) */
  text: trainingFields.default({}),
  vision: trainingFields.default({}),
});

export type SweepInput = z.infer<typeof sweepInputSchema>;
export type ModelComparisonInput = z.infer<typeof modelComparisonInputSchema>;
export type AblationInput = z.infer<typeof ablationInputSchema>;
export type PseudoLabelInput = z.infer<typeof pseudoLabelInputSchema>;
export type ExperimentInput = SweepInput | ModelComparisonInput | AblationInput | PseudoLabelInput;

const SCHEMAS: Record<ExperimentKind, z.ZodType> = {
  sweep: sweepInputSchema,
  'model-comparison': modelComparisonInputSchema,
  ablation: ablationInputSchema,
  'pseudo-label': pseudoLabelInputSchema,
};

/** Validates an experiment's input; errors name the field. */
export function parseExperimentInput<K extends ExperimentKind>(kind: K, raw: unknown): K extends 'sweep' ? SweepInput : K extends 'model-comparison' ? ModelComparisonInput : K extends 'ablation' ? AblationInput : PseudoLabelInput {
  const parsed = SCHEMAS[kind].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.');
    throw errors.badInput(`${field || 'input'}: ${issue.message}`, { field });
  }
  return parsed.data as never;
}

/** Lower is better for losses; higher for every score. */
export const minimised = (metric: string) => /loss$/i.test(metric);
