import * as tf from '@tensorflow/tfjs';
import { forwardComponent, type ComponentShape, type Params } from './heads/components.js';
import { COMPONENTS, type HeadKind } from './heads/kinds.js';

/** Normalised feature matrices of n samples. */
export interface ModelInputs {
  text?: Float32Array;
  image?: Float32Array;
}

const CHUNK = 2048;

/**
 * Logits [n × classes] of a head: for a fusion, the average of its components' logits (the
 * paper's logits fusion). Evaluated in chunks so that memory stays bounded.
 */
export function predictLogits(head: HeadKind, shape: ComponentShape, params: Params, inputs: ModelInputs, n: number): Float32Array {
  const out = new Float32Array(n * shape.classes);
  const components = COMPONENTS[head];
  for (let start = 0; start < n; start += CHUNK) {
    const m = Math.min(CHUNK, n - start);
    const logits = tf.tidy(() => {
      const batch = {
        text: inputs.text ? tf.tensor2d(inputs.text.subarray(start * shape.textDim, (start + m) * shape.textDim), [m, shape.textDim]) : undefined,
        image: inputs.image ? tf.tensor2d(inputs.image.subarray(start * shape.imageDim, (start + m) * shape.imageDim), [m, shape.imageDim]) : undefined,
      };
      const each = components.map((c) => forwardComponent(c, shape, params, batch, { dropout: 0, seed: 0 }));
      return each.length === 1 ? each[0] : tf.div(tf.addN(each), each.length);
    });
    out.set(logits.dataSync(), start * shape.classes);
    logits.dispose();
  }
  return out;
}

/** Sigmoid probabilities and the mean class-weighted binary cross-entropy of logits. */
export function weightedBce(logits: Float32Array, labels: Uint8Array, n: number, c: number, classWeights: number[]): { loss: number; probs: Float32Array } {
  const probs = new Float32Array(logits.length);
  let total = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < c; j++) {
      const z = logits[i * c + j];
      probs[i * c + j] = 1 / (1 + Math.exp(-z));
      // log(1 + e^-|z|) + max(z, 0) − z·y: stable for large |z|
      total += classWeights[j] * (Math.max(z, 0) - z * labels[i * c + j] + Math.log1p(Math.exp(-Math.abs(z))));
    }
  return { loss: n * c ? total / (n * c) : 0, probs };
}
