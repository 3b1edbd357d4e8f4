import * as tf from '@tensorflow/tfjs';
import { seededRandom, shuffleInPlace } from '../util/random.js';
import { FastAdam } from './adam.js';
import { FusedTrainer } from './fast/fused-trainer.js';
import { recipeClassWeights } from './class-weights.js';
import { columnStats, gatherRows, normalize, type Normalization } from './features-matrix.js';
import { COMPONENTS, type HeadKind } from './heads/kinds.js';
import { countParameters, createComponent, forwardComponent, type ComponentShape, type Params } from './heads/components.js';
import { assignLabels, tuneThresholds } from './labels.js';
import { multiLabelMetrics, type MultiLabelMetrics } from './metrics.js';
import { predictLogits, weightedBce, type ModelInputs } from './predict.js';

export interface SplitData {
  n: number;
  /** multi-hot labels, n × classes */
  labels: Uint8Array;
  /** n × textDim */
  text?: Float32Array;
  /** n × imageDim */
  image?: Float32Array;
}

export interface TrainSplitData extends SplitData {
  /** features of the horizontally flipped images, for flip augmentation */
  imageFlip?: Float32Array;
  /** features of synonym-augmented captions (each n × textDim), for caption augmentation */
  textVariants?: Float32Array[];
}

export interface TrainingData {
  classes: number;
  textDim: number;
  imageDim: number;
  train: TrainSplitData;
  val: SplitData;
}

export type StopMetric = 'microF1' | 'macroF1' | 'samplesF1' | 'loss';

export interface TrainingConfig {
  head: HeadKind;
  learningRate: number;
  batchSize: number;
  epochs: number;
  optimizer: 'adam' | 'adamw';
  /** decoupled weight decay of kernels, with adamw */
  weightDecay: number;
  seed: number;
  /** 'recipe' weights each class's BCE term by the paper's formula (class-weights.ts) */
  lossWeighting: 'none' | 'recipe';
  hiddenUnits: number;
  dropout: number;
  attentionDim: number;
  imageTokens: number;
  /** stop after `patience` epochs without improvement of `metric` on validation; null: never */
  earlyStopping: { metric: StopMetric; patience: number } | null;
  /** 'tuned': per-class thresholds chosen on validation after training */
  thresholds: 'fixed' | 'tuned';
  /** with flip features: each sample's image is flipped with probability 1/2 each epoch */
  flipAugment: boolean;
}

export interface SplitReport {
  loss: number;
  metrics: MultiLabelMetrics;
}

export interface EpochReport {
  /** from 1 */
  epoch: number;
  seconds: number;
  train: SplitReport;
  val: SplitReport;
}

/** What any training ends with, besides its weights. */
export interface TrainingOutcome {
  /** per-class decision thresholds (0.5 unless tuned on validation) */
  thresholds: number[];
  classWeights: number[];
  /** from 1, as EpochReport.epoch */
  bestEpoch: number;
  epochsRun: number;
  parameterCount: number;
  /** validation metrics of the saved model with its thresholds */
  val: SplitReport;
}

/** Everything needed to rebuild the exact model (the artifact's content). */
export interface TrainedModel extends TrainingOutcome {
  head: HeadKind;
  shape: ComponentShape;
  weights: Record<string, { shape: number[]; data: number[] }>;
  normalization: { text?: Normalization; image?: Normalization };
}

/**
 * Trains a head or fusion module on cached features. All components of a fusion train side by
 * side on the sum of their losses (their parameters are disjoint, so this is the same as training
 * each alone) and are evaluated fused, each epoch. Seeded: the same data, config and seed give
 * the same metrics. The best epoch's weights (by the early-stopping metric) are kept.
 */
export async function trainHead(data: TrainingData, config: TrainingConfig, onEpoch: (r: EpochReport) => void | Promise<void>, signal?: AbortSignal): Promise<TrainedModel> {
  const components = COMPONENTS[config.head];
  const shape: ComponentShape = {
    textDim: data.textDim,
    imageDim: data.imageDim,
    classes: data.classes,
    hiddenUnits: config.hiddenUnits,
    attentionDim: config.attentionDim,
    imageTokens: config.imageTokens,
  };
  const normalization = {
    text: data.train.text ? columnStats(data.train.text, data.train.n, data.textDim) : undefined,
    image: data.train.image ? columnStats(data.train.image, data.train.n, data.imageDim) : undefined,
  };
  const norm = (x: Float32Array | undefined, kind: 'text' | 'image') => (x && normalization[kind] ? normalize(x, kind === 'text' ? data.textDim : data.imageDim, normalization[kind]!) : undefined);
  const trainIn: ModelInputs = { text: norm(data.train.text, 'text'), image: norm(data.train.image, 'image') };
  const valIn: ModelInputs = { text: norm(data.val.text, 'text'), image: norm(data.val.image, 'image') };
  const imageVariants = [trainIn.image, ...(config.flipAugment && data.train.imageFlip ? [norm(data.train.imageFlip, 'image')] : [])];
  const textVariants = [trainIn.text, ...(data.train.textVariants ?? []).map((t) => norm(t, 'text'))];

  const counts = new Array<number>(data.classes).fill(0);
  for (let i = 0; i < data.train.labels.length; i++) counts[i % data.classes] += data.train.labels[i];
  const classWeights = config.lossWeighting === 'recipe' ? recipeClassWeights(counts) : new Array<number>(data.classes).fill(1);
  const weights = tf.tensor2d(classWeights, [1, data.classes]);

  const params: Params = {};
  components.forEach((c, i) => createComponent(c, shape, config.seed * 101 + i * 17, params));
  const vars = Object.values(params);
  const kernels = new Set(Object.entries(params).filter(([name]) => name.endsWith('.kernel')).map(([, v]) => v));
  const weightDecay = config.optimizer === 'adamw' ? config.weightDecay : 0;
  const optimizer = new FastAdam(vars, config.learningRate, weightDecay, (v) => kernels.has(v));
  // On WASM, steps run as a few large kernels (fast/fused-trainer.ts); elsewhere through TF.js autodiff.
  const fused = FusedTrainer.create(components, shape, params, { batchSize: config.batchSize, learningRate: config.learningRate, weightDecay, decayed: (name) => name.endsWith('.kernel'), classWeights, dropout: config.dropout });
  const random = seededRandom(config.seed);
  const order = Array.from({ length: data.train.n }, (_, i) => i);

  const evaluate = (inputs: ModelInputs, split: SplitData, thresholds: number | number[] = 0.5): SplitReport & { probs: Float32Array } => {
    const logits = predictLogits(config.head, shape, params, inputs, split.n);
    const { loss, probs } = weightedBce(logits, split.labels, split.n, data.classes, classWeights);
    return { loss, probs, metrics: multiLabelMetrics(assignLabels(probs, split.n, data.classes, thresholds), split.labels, split.n, data.classes) };
  };
  const score = (r: SplitReport) => (config.earlyStopping?.metric === 'loss' ? -r.loss : r.metrics[config.earlyStopping?.metric ?? 'microF1']);

  let best = { score: -Infinity, epoch: 0, weights: snapshot(params) };
  let step = 0;
  let epochsRun = 0;
  try {
    // Epochs are numbered from 1, as users count them and as MLflow clients log their steps.
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const started = performance.now();
      shuffleInPlace(order, random);
      for (let b = 0; b < order.length; b += config.batchSize) {
        const rows = order.slice(b, b + config.batchSize);
        const pick = <T>(variants: T[]) => variants[Math.floor(random() * variants.length)];
        // Augmentation picks one variant per batch: cheap, and over an epoch each sample still
        // sees original and augmented features in the configured proportion.
        const textFeatures = trainIn.text ? pick(textVariants)! : undefined;
        const imageFeatures = trainIn.image ? pick(imageVariants)! : undefined;
        const s = ++step;
        const seeds = components.map((_, i) => config.seed * 1_000_003 + s * 7 + i);
        if (fused) fused.step(rows, textFeatures, imageFeatures, data.train.labels, seeds);
        else {
          const text = textFeatures && gatherRows(textFeatures, data.textDim, rows);
          const image = imageFeatures && gatherRows(imageFeatures, data.imageDim, rows);
          const labels = gatherLabels(data.train.labels, data.classes, rows);
          tf.tidy(() => {
            const batch = { text: text && tf.tensor2d(text, [rows.length, data.textDim]), image: image && tf.tensor2d(image, [rows.length, data.imageDim]) };
            const y = tf.tensor2d(labels, [rows.length, data.classes]);
            optimizer.minimize(() => {
              const losses = components.map((c, i) => tf.losses.sigmoidCrossEntropy(y, forwardComponent(c, shape, params, batch, { dropout: config.dropout, seed: seeds[i] }), weights));
              return tf.addN(losses) as tf.Scalar;
            });
          });
        }
        // Let the event loop run (cancellation, progress messages) between batches.
        if (s % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      const seconds = (performance.now() - started) / 1000;
      fused?.writeBack();
      const trainReport = evaluate(trainIn, data.train);
      const valReport = evaluate(valIn, data.val);
      epochsRun = epoch;
      await onEpoch({ epoch, seconds, train: strip(trainReport), val: strip(valReport) });
      const sc = score(valReport);
      if (sc > best.score) best = { score: sc, epoch, weights: snapshot(params) };
      else if (config.earlyStopping && epoch - best.epoch >= config.earlyStopping.patience) break;
    }
    restore(params, best.weights);
    let thresholds = new Array<number>(data.classes).fill(0.5);
    if (config.thresholds === 'tuned') thresholds = tuneThresholds(evaluate(valIn, data.val).probs, data.val.labels, data.val.n, data.classes);
    const finalVal = strip(evaluate(valIn, data.val, thresholds));
    return {
      head: config.head,
      shape,
      weights: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, { shape: v.shape, data: Array.from(best.weights[k]) }])),
      normalization,
      thresholds,
      classWeights,
      bestEpoch: best.epoch,
      epochsRun,
      parameterCount: countParameters(params),
      val: finalVal,
    };
  } finally {
    fused?.dispose();
    weights.dispose();
    for (const v of vars) v.dispose();
  }
}

function gatherLabels(labels: Uint8Array, c: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * c);
  for (let r = 0; r < rows.length; r++) for (let j = 0; j < c; j++) out[r * c + j] = labels[rows[r] * c + j];
  return out;
}

function snapshot(params: Params): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.dataSync().slice() as Float32Array]));
}

function restore(params: Params, weights: Record<string, Float32Array>): void {
  for (const [k, v] of Object.entries(params)) tf.tidy(() => v.assign(tf.tensor(weights[k], v.shape)));
}

const strip = (r: SplitReport): SplitReport => ({ loss: r.loss, metrics: r.metrics });
