import { seededRandom } from '../../../src/util/random.js';
import type { TrainingConfig, TrainingData } from '../../../src/ml/train.js';

/**
 * Multi-label data where each modality carries part of the signal: text features reveal
 * classes 0–2 clearly and 3–5 weakly, image features the other way round, so that a fused
 * model beats either modality. Image features are laid out as 2 blocks of `tokens` values.
 */
export function syntheticData(n: number, seed = 1, classes = 6, textDim = 12, tokens = 8): TrainingData {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const make = (m: number) => {
    const labels = new Uint8Array(m * classes);
    const text = new Float32Array(m * textDim);
    const image = new Float32Array(m * 2 * tokens);
    for (let i = 0; i < m; i++) {
      let any = false;
      for (let j = 0; j < classes; j++) if (random() < 0.3) ((labels[i * classes + j] = 1), (any = true));
      if (!any) labels[i * classes + Math.floor(random() * classes)] = 1;
      for (let d = 0; d < textDim; d++) text[i * textDim + d] = gauss() * 0.8;
      for (let d = 0; d < 2 * tokens; d++) image[i * 2 * tokens + d] = gauss() * 0.8;
      for (let j = 0; j < classes; j++) {
        const y = labels[i * classes + j] ? 1 : -1;
        text[i * textDim + j] += y * (j < 3 ? 1.5 : 0.4);
        image[i * 2 * tokens + j] += y * (j >= 3 ? 1.5 : 0.4);
      }
    }
    return { n: m, labels, text, image };
  };
  return { classes, textDim, imageDim: 2 * tokens, train: make(n), val: make(Math.floor(n / 3)) };
}

export const baseConfig: TrainingConfig = {
  head: 'fcnn',
  learningRate: 0.01,
  batchSize: 64,
  epochs: 8,
  optimizer: 'adam',
  weightDecay: 0,
  seed: 7,
  lossWeighting: 'none',
  hiddenUnits: 0,
  dropout: 0,
  attentionDim: 16,
  imageTokens: 8,
  earlyStopping: null,
  thresholds: 'fixed',
  flipAugment: false,
};
