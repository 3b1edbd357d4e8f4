import { createHash } from 'node:crypto';
import type { TaskMessage } from '../jobs/pool.js';
import { createEncoder, ENCODER_KINDS, type EncoderSpec } from '../ml/encoders/registry.js';
import type { Encoder, EncoderInfo } from '../ml/encoders/types.js';
import { initBackend, type DevicePreference } from '../ml/backend.js';
import { PART_SIZE, writePart, type SkippedItem } from '../features/store.js';

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
  /**
   * 'fail' (default): a part with an item the encoder cannot encode is not written; 'skip': the
   * item gets a zero vector, and the part's failures are written beside it (see store.ts).
   */
  onEncoderError?: 'fail' | 'skip';
}

/** Posted while a part of images is encoded: how many of its items are done. */
export interface ExtractPartProgress {
  encoded: number;
}

/** An item of a part the encoder threw on: its index within the part and the error. */
export type EncoderFailure = SkippedItem;

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

/**
 * Encodes one part of a dataset and writes it to the feature store. When the encoder throws on
 * the part, each item is encoded alone to find the ones it cannot encode; these are returned
 * (and, with onEncoderError 'skip', written as zero vectors and listed beside the part).
 */
export async function extractPart({ input, port }: TaskMessage<ExtractPartInput>): Promise<{ part: number; count: number; failures: EncoderFailure[]; written: boolean }> {
  if (input.items.length > PART_SIZE) throw new Error(`a part holds at most ${PART_SIZE} items`);
  const e = await encoderFor(input);
  // Encodes the items at these positions of the part.
  let encodeAt: (at: number[]) => Promise<Float32Array[]>;
  if (e.modality === 'image') {
    // Only the whole part's batch reports: the one-by-one retry below re-encodes what it covered.
    const onEncoded = (encoded: number) => port.postMessage({ encoded } satisfies ExtractPartProgress);
    encodeAt = (at) => e.encode(at.map((i) => ({ path: input.items[i] })), { flip: input.variant === 'flip', ...(at.length > 1 ? { onEncoded } : {}) });
  } else {
    const round = /^syn(\d+)$/.exec(input.variant);
    const captions = round ? await augment(input.items, Number(round[1]), input.part) : input.items;
    encodeAt = (at) => e.encode(at.map((i) => captions[i]));
  }
  const all = input.items.map((_, i) => i);
  const failures: EncoderFailure[] = [];
  let vectors: Float32Array[];
  try {
    vectors = await encodeAt(all);
  } catch {
    vectors = [];
    for (const [index, item] of input.items.entries()) {
      try {
        const [v] = await encodeAt([index]);
        vectors.push(v);
      } catch (error) {
        failures.push({ index, item, error: (error as Error).message });
        vectors.push(new Float32Array(e.dim));
      }
    }
    // Nothing failed alone: the failure was the batch's (memory, the session), not an item's.
    if (!failures.length) vectors = await encodeAt(all);
  }
  if (failures.length && (input.onEncoderError ?? 'fail') === 'fail') return { part: input.part, count: vectors.length, failures, written: false };
  await writePart(input.dir, input.part, vectors, e.dim, failures.length ? failures : undefined);
  return { part: input.part, count: vectors.length, failures, written: true };
}

/** Synonym augmentation of captions, seeded by round and position (deterministic). */
async function augment(captions: string[], round: number, part: number): Promise<string[]> {
  const { augmentCaptions } = await import('../ml/augment/synonyms.js');
  return augmentCaptions(captions, round * 1_000_003 + part * PART_SIZE);
}
