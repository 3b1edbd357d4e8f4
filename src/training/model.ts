import * as tf from '@tensorflow/tfjs';
import { normalize } from '../ml/features-matrix.js';
import type { Params } from '../ml/heads/components.js';
import { assignLabels } from '../ml/labels.js';
import { predictLogits } from '../ml/predict.js';
import { artifactWeights, type ModelArtifact } from './artifact.js';

/** A trained head rebuilt from its artifact, predicting from raw (unnormalised) features. */
export interface LoadedModel {
  artifact: ModelArtifact;
  /** logits [n × classes], in the order of `artifact.classIds` */
  logits(features: { text?: Float32Array; image?: Float32Array }, n: number): Float32Array;
  /** 0/1 labels with the artifact's thresholds and the top-label fallback */
  labels(probs: Float32Array, n: number): Uint8Array;
  dispose(): void;
}

/** Loads in this thread so far: TF.js variable names must be unique while they live. */
let loads = 0;

/** Rebuilds the exact model: same weights, normalisation and thresholds. Needs TF.js initialised. */
export function loadModel(artifact: ModelArtifact): LoadedModel {
  const m = artifact.model;
  const load = ++loads;
  const params: Params = Object.fromEntries(
    Object.entries(artifactWeights(artifact)).map(([k, w]) => {
      const t = tf.tensor(w.data, w.shape);
      const v = tf.variable(t, false, `${artifact.runId}/${load}/${k}`);
      t.dispose();
      return [k, v];
    }),
  );
  return {
    artifact,
    logits(features, n) {
      const text = features.text && normalize(features.text, m.shape.textDim, m.normalization.text!);
      const image = features.image && normalize(features.image, m.shape.imageDim, m.normalization.image!);
      return predictLogits(m.head, m.shape, params, { text, image }, n);
    },
    labels: (probs, n) => assignLabels(probs, n, artifact.classIds.length, m.thresholds),
    dispose: () => Object.values(params).forEach((p) => p.dispose()),
  };
}
