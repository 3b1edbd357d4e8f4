/**
 * An external model version's ONNX model as a prediction component: what the main thread
 * resolved from its model card (onnx-plan.ts) and a worker thread loads (onnx-session.ts).
 * Serialisable, and free of imports that a worker thread should not load.
 */
import type { Normalisation, ResizeSpec } from '../ml/encoders/image-preprocess.js';
import type { EncoderPlan, PredictorPlan } from './plan.js';

/** One input of the ONNX model, as its card describes it, ready to be computed. */
export type OnnxInputPlan =
  /** features of a tagfusion encoder, computed as training computes them */
  | { name: string; kind: 'features'; encoder: EncoderPlan }
  /** an image decoded by sharp, resized and normalised */
  | { name: string; kind: 'image'; resize: ResizeSpec; normalisation: Normalisation; layout: 'NCHW' | 'NHWC' }
  /** a caption's token ids from the tokenizer folder that came with the model */
  | { name: string; kind: 'tokens'; tokenizerDir: string; maxLength: number };

export interface OnnxComponentPlan {
  kind: 'onnx';
  /** identity in a worker thread's cache: the version id (two cards may share one ONNX file) */
  key: string;
  /** local path of the ONNX file */
  artifactPath: string;
  /** the file's name inside its version folder, for messages */
  file: string;
  /** sha256 the artifact store recorded for the file: checked on the bytes that are loaded */
  checksum: string;
  inputs: OnnxInputPlan[];
  /** the output holding the logits, and how many labels its last dimension has */
  output: { name: string; labels: number };
}

/** The encoders whose features the model reads. */
export const onnxEncoders = (c: OnnxComponentPlan): EncoderPlan[] => c.inputs.flatMap((i) => (i.kind === 'features' ? [i.encoder] : []));

/** Which raw inputs `predict` must be given for it: captions for text features and tokens, images for image features and tensors. */
export function onnxNeeds(c: OnnxComponentPlan): PredictorPlan['needs'] {
  return {
    text: c.inputs.some((i) => i.kind === 'tokens' || (i.kind === 'features' && i.encoder.modality === 'text')),
    image: c.inputs.some((i) => i.kind === 'image' || (i.kind === 'features' && i.encoder.modality === 'image')),
  };
}
