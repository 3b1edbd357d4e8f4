import { z } from 'zod';
import { errors } from '../errors.js';
import { TRAINING_HEADS } from '../ml/heads/kinds.js';
import { withHeadDefaults } from './defaults.js';

const encoderSpec = z.object({ id: z.string().min(1), path: z.string().min(1).nullish(), hubId: z.string().min(1).nullish(), options: z.record(z.string(), z.unknown()).nullish() });

/** The default encoders when a training input names none (see docs/BENCHMARKS.md). */
export const DEFAULT_ENCODERS = { vision: 'centernet-coco', text: 'tfidf' } as const;

/**
 * What `startTraining` and `tagfusion train` accept. Defaults follow the paper where it says;
 * learning rate, batch size, epochs, optimiser, weight decay and dropout depend on the head and
 * are filled in before parsing (src/training/defaults.ts).
 */
export const trainingInputSchema = z.object({
  datasetId: z.string().min(1, 'datasetId must not be empty'),
  /** more labelled datasets whose every sample is training data (validation stays datasetId's) */
  extraTrainDatasetIds: z.array(z.string().min(1)).max(20).default([]),
  /**
   * fm1/fm2/fm3 only: fuse these finished runs' logits (the paper's logits fusion: no training)
   * instead of training the components side by side.
   */
  componentRunIds: z.array(z.string().min(1)).max(10).default([]),
  /**
   * train on the pseudo-labels a pseudo-labelling round stored (its run's `pseudo-labels`
   * artifact) as well: those samples of the unlabelled dataset, with the predicted labels
   */
  pseudoLabelRunId: z.string().min(1).nullish(),
  name: z.string().max(200).nullish(),
  head: z.enum(TRAINING_HEADS, { message: `head must be one of ${TRAINING_HEADS.join(', ')}` }),
  /** tokens per caption for BERT (text-finetune) */
  maxLength: z.number().int().min(8).max(512).default(64),
  visionEncoder: encoderSpec.nullish(),
  textEncoder: encoderSpec.nullish(),
  learningRate: z.number().positive('learningRate must be positive').max(1, 'learningRate must be at most 1'),
  batchSize: z.number().int().min(1, 'batchSize must be at least 1').max(8192),
  epochs: z.number().int().min(1, 'epochs must be at least 1').max(1000),
  optimizer: z.enum(['adam', 'adamw'], { message: 'optimizer must be adam or adamw' }),
  weightDecay: z.number().min(0).max(1),
  seed: z.number().int().default(42),
  lossWeighting: z.enum(['none', 'recipe'], { message: 'lossWeighting must be none or recipe' }).default('recipe'),
  hiddenUnits: z.number().int().min(0).max(8192).default(0),
  dropout: z.number().min(0).lt(1),
  attentionDim: z.number().int().min(1).max(4096).default(64),
  /** image tokens of the cross-attention; default: 80 for centernet-coco (one per COCO class) */
  imageTokens: z.number().int().min(1).nullish(),
  earlyStopping: z
    .object({ metric: z.enum(['microF1', 'macroF1', 'samplesF1', 'loss']).default('microF1'), patience: z.number().int().min(1).default(5) })
    .nullish(),
  thresholds: z.enum(['fixed', 'tuned'], { message: 'thresholds must be fixed or tuned' }).default('fixed'),
  augmentation: z
    .object({
      /** train on mirrored images too (features of flipped images are cached) */
      flip: z.boolean().default(false),
      /** rounds of synonym-replaced captions (each a cached feature set) */
      synonymRounds: z.number().int().min(0).max(10).default(0),
    })
    .default({ flip: false, synonymRounds: 0 }),
  /**
   * a sample the encoder throws on: fail the run naming it, or skip it (zero features, left out
   * of training and validation, listed in the run's summary); absent means fail
   */
  onEncoderError: z.enum(['fail', 'skip'], { message: 'onEncoderError must be fail or skip' }).nullish(),
});

export type TrainingInput = z.infer<typeof trainingInputSchema>;

const ENUM_FIELDS = ['head', 'optimizer', 'lossWeighting', 'thresholds', 'onEncoderError'] as const;
const STOP_METRICS: Record<string, string> = { MICRO_F1: 'microF1', MACRO_F1: 'macroF1', SAMPLES_F1: 'samplesF1', LOSS: 'loss' };

/**
 * Accepts GraphQL's enum spellings (TEXT_FINETUNE, ADAMW, MICRO_F1) as well as the CLI's
 * (text-finetune, adamw, microF1), so JSON training inputs (sweep bases) take either.
 */
export function normaliseTrainingNames(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const f of ENUM_FIELDS) if (typeof out[f] === 'string') out[f] = (out[f] as string).toLowerCase().replace('_', '-');
  const stop = out.earlyStopping as Record<string, unknown> | null | undefined;
  if (stop && typeof stop.metric === 'string') out.earlyStopping = { ...stop, metric: STOP_METRICS[stop.metric] ?? stop.metric };
  return out;
}

export function parseTrainingInput(raw: unknown): TrainingInput {
  const parsed = trainingInputSchema.safeParse(raw && typeof raw === 'object' && !Array.isArray(raw) ? withHeadDefaults(normaliseTrainingNames(raw as Record<string, unknown>)) : raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.');
    throw errors.badInput(`${field || 'input'}: ${issue.message}`, { field });
  }
  return parsed.data;
}
