import { createHash } from 'node:crypto';
import type { TaskMessage } from '../jobs/pool.js';
import { createEncoder, ENCODER_KINDS, type EncoderSpec } from '../ml/encoders/registry.js';
import type { Encoder, EncoderInfo } from '../ml/encoders/types.js';
import { initBackend, type DevicePreference } from '../ml/backend.js';
import { PART_SIZE, writePart } from '../features/store.js';

export interface EncoderTaskInput {
  spec: EncoderSpec;
  /** training captions, for fitted encoders (tfidf, bert without weights) */
  fitCaptions: string[];
  device: DevicePreference;
}

export interface ExtractPartInput extends EncoderTaskInput {
  dir: string;
  part: number;
  /** image paths or captions of this part, in dataset order */
  items: string[];
  variant: string;
}

// Encoders are expensive to create (weights, vocabularies): each worker thread keeps the ones
// it made, keyed by spec and by the captions a fitted encoder was fitted on.
const encoders = new Map<string, Promise<Encoder>>();

function encoderFor(input: EncoderTaskInput): Promise<Encoder> {
  const fitted = ENCODER_KINDS[input.spec.id]?.fitted(input.spec) ?? false;
  const fit = fitted ? input.fitCaptions : [];
  const key = JSON.stringify(input.spec) + (fitted ? createHash('sha256').update(fit.join('\n')).digest('hex') : '');
  let encoder = encoders.get(key);
  if (!encoder) {
    encoder = initBackend(input.device).then(() => createEncoder(input.spec, fit));
    encoders.set(key, encoder);
    encoder.catch(() => encoders.delete(key));
  }
  return encoder;
}

/** What identifies the encoder's output (its version depends on weights, config, fitting). */
export async function encoderInfo({ input }: TaskMessage<EncoderTaskInput>): Promise<EncoderInfo> {
  const e = await encoderFor(input);
  return { id: e.id, modality: e.modality, version: e.version, dim: e.dim, preprocessing: e.preprocessing, parameters: e.parameters, backend: e.backend };
}

/** Encodes one part of a dataset and writes it to the feature store. */
export async function extractPart({ input }: TaskMessage<ExtractPartInput>): Promise<{ part: number; count: number }> {
  if (input.items.length > PART_SIZE) throw new Error(`a part holds at most ${PART_SIZE} items`);
  const e = await encoderFor(input);
  let vectors: Float32Array[];
  if (e.modality === 'image') {
    vectors = await e.encode(input.items.map((path) => ({ path })), { flip: input.variant === 'flip' });
  } else {
    const round = /^syn(\d+)$/.exec(input.variant);
    const captions = round ? await augment(input.items, Number(round[1]), input.part) : input.items;
    vectors = await e.encode(captions);
  }
  await writePart(input.dir, input.part, vectors, e.dim);
  return { part: input.part, count: vectors.length };
}

/** Synonym augmentation of captions, seeded by round and position (deterministic). */
async function augment(captions: string[], round: number, part: number): Promise<string[]> {
  const { augmentCaptions } = await import('../ml/augment/synonyms.js');
  return augmentCaptions(captions, round * 1_000_003 + part * PART_SIZE);
}
