import type { EncoderRef } from './snapshot.js';

/** One input a version eats (docs/MODEL_CARD.md): the card's input, its modality and the ONNX shape. */
export interface SignatureInput {
  kind: 'features' | 'image' | 'tokens';
  modality: 'text' | 'image';
  /** the ONNX input's name (absent for tagfusion's own heads) */
  name?: string;
  encoder?: string;
  encoderRunId?: string;
  size?: [number, number];
  layout?: 'NCHW' | 'NHWC';
  scale?: number;
  mean?: number[];
  std?: number[];
  tokenizer?: string;
  maxLength?: number;
  /** per axis: its size, or null for a free one (the batch) */
  shape?: (number | null)[] | null;
}

/**
 * What a version eats and returns, recorded at registration and never changed. ONNX versions
 * carry their card (normalised, with the ONNX shapes); tagfusion's heads their encoders and the
 * dataset's label ids in output order.
 */
export interface Signature {
  inputs: SignatureInput[];
  /** dataset label ids in the order of the model's outputs */
  labels: number[];
  /** ONNX only: the version's folder inside its run, and the model file inside that folder */
  folder?: string;
  model?: string;
  output?: { name: string; kind: 'logits'; shape: (number | null)[] | null };
  labelPolicy?: { threshold: number; atLeastOne: boolean };
  datasetId?: string;
}

/** The signature of a tagfusion head: features of the run's encoders, the dataset's labels. */
export const headSignature = (encoders: EncoderRef[], labels: number[]): Signature => ({
  inputs: encoders.map((e) => ({ kind: 'features', modality: e.modality, encoder: e.id })),
  labels,
});

interface Signed {
  format: string | null;
  signature: unknown;
}

const asSignature = (json: unknown): Signature | null => {
  const s = json as Signature | null;
  return s && Array.isArray(s.inputs) && Array.isArray(s.labels) ? s : null;
};

const inputKey = (i: SignatureInput) => [i.modality, i.kind, i.encoder ?? ''].join(':');

/**
 * What callers depend on, as a comparable string: the kinds of input (modality, kind, encoder)
 * and the set of label ids. Names, shapes and preprocessing are the model's own business.
 * 'unservable' for a version tagfusion cannot serve; null when a servable version recorded no
 * signature (registered before signatures existed): unknown, so never "different".
 */
export function signatureKey(v: Signed): string | null {
  if (v.format === null) return 'unservable';
  const s = asSignature(v.signature);
  if (!s) return null;
  return JSON.stringify({ inputs: s.inputs.map(inputKey).sort(), labels: [...s.labels].sort((a, b) => a - b) });
}

/** The signature in words, for the message that asks for the explicit flag. */
export function describeSignature(v: Signed): string {
  if (v.format === null) return 'cannot be served by tagfusion';
  const s = asSignature(v.signature);
  if (!s) return 'has no recorded signature';
  const inputs = s.inputs.map((i) => `${i.modality} ${i.kind}${i.encoder ? ` of ${i.encoder}` : ''}`).join(', ');
  return `eats ${inputs} and returns ${s.labels.length} label${s.labels.length === 1 ? '' : 's'}`;
}

/** True when both signatures are known and differ. */
export function signaturesDiffer(a: Signed, b: Signed): boolean {
  const ka = signatureKey(a);
  const kb = signatureKey(b);
  return ka !== null && kb !== null && ka !== kb;
}
