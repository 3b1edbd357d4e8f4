import { z } from 'zod';
import { runUuid } from './sources.js';

/**
 * The model card (docs/MODEL_CARD.md): what an ONNX model eats and returns, so that tagfusion can
 * serve a model trained anywhere. Read from `model-card.json` in the version's folder, or from
 * `metadata.tagfusion` of an MLflow `MLmodel` with the onnx flavour (where `format` and `model`
 * may be left out: the flavour names the file). Unknown keys are ignored, for cards written by
 * newer tools.
 */

/** A path inside the version's folder: relative, `/`-separated, no `.` or `..` segment. */
const innerPath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && p.split('/').every((s) => s !== '' && s !== '.' && s !== '..'), 'must be a relative path inside the folder');

const onnxName = z.string().min(1).max(1024);
const finite = z.number().finite();

const features = z.object({
  name: onnxName,
  kind: z.literal('features'),
  /** a tagfusion encoder id (centernet-coco, tfidf, glove-100d…) */
  encoder: z.string().min(1).max(100),
  /** for fitted encoders (tfidf): the tagfusion run whose encoder was fitted */
  encoderRunId: z.string().min(1).max(200).transform(runUuid).optional(),
});

const image = z.object({
  name: onnxName,
  kind: z.literal('image'),
  size: z.tuple([z.number().int().min(1).max(8192), z.number().int().min(1).max(8192)]),
  layout: z.enum(['NCHW', 'NHWC']),
  /** pixels are divided by it before mean and std apply */
  scale: finite.positive().default(255),
  mean: z.tuple([finite, finite, finite]).default([0, 0, 0]),
  std: z.tuple([finite.positive(), finite.positive(), finite.positive()]).default([1, 1, 1]),
});

const tokens = z.object({
  name: onnxName,
  kind: z.literal('tokens'),
  /** a folder inside the version's folder holding tokenizer.json */
  tokenizer: innerPath,
  maxLength: z.number().int().min(1).max(8192),
});

const labelId = z.number().int().min(0).max(2_147_483_647);

export const modelCardSchema = z.object({
  format: z.literal('onnx').optional(),
  model: innerPath.optional(),
  inputs: z.array(z.discriminatedUnion('kind', [features, image, tokens])).min(1).max(16),
  output: z.object({
    name: onnxName,
    kind: z.literal('logits'),
    labels: z
      .array(labelId)
      .min(1)
      .max(100_000)
      .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a label id'),
  }),
  labelPolicy: z.object({ threshold: finite.gt(0).lt(1).default(0.5), atLeastOne: z.boolean().default(true) }).default({ threshold: 0.5, atLeastOne: true }),
  datasetId: z.string().min(1).max(200).optional(),
});

export type ModelCard = z.infer<typeof modelCardSchema>;
export type CardInput = ModelCard['inputs'][number];

/**
 * A card from parsed JSON, or why it is not one. The reason names the field and the rule, never
 * a value from the file.
 */
export function readCard(json: unknown, where: string): { card: ModelCard } | { reason: string } {
  const parsed = modelCardSchema.safeParse(json);
  if (parsed.success) {
    const names = parsed.data.inputs.map((i) => i.name);
    if (new Set(names).size !== names.length) return { reason: `${where}: inputs must not name one ONNX input twice` };
    return { card: parsed.data };
  }
  const issue = parsed.error.issues[0];
  const field = issue.path.length ? issue.path.join('.') : 'the card';
  return { reason: `${where}: ${field}: ${issue.message.replace(/^Invalid input: /, '')}` };
}
