import * as tf from '@tensorflow/tfjs';
import { seededRandom, shuffleInPlace } from '../util/random.js';
import { augmentCaptions } from './augment/synonyms.js';
import { recipeClassWeights } from './class-weights.js';
import { bertFeatures, type LoadedBert } from './encoders/bert.js';
import { assignLabels, tuneThresholds } from './labels.js';
import { multiLabelMetrics } from './metrics.js';
import { weightedBce } from './predict.js';
import type { EpochReport, SplitReport, StopMetric, TrainingOutcome } from './train.js';

export interface CaptionSplit {
  captions: string[];
  /** multi-hot, n × classes */
  labels: Uint8Array;
}

export interface FinetuneConfig {
  learningRate: number;
  batchSize: number;
  epochs: number;
  seed: number;
  lossWeighting: 'none' | 'recipe';
  dropout: number;
  earlyStopping: { metric: StopMetric; patience: number } | null;
  thresholds: 'fixed' | 'tuned';
  /** >0: each batch is synonym-augmented with probability 1/2 (WordNet, seeded) */
  synonymRounds: number;
}

export interface FinetunedModel extends TrainingOutcome {
  /** the classifier on the pooled BERT feature */
  head: { kernel: { shape: number[]; data: number[] }; bias: { shape: number[]; data: number[] } };
}

const EVAL_BATCH = 256;

/**
 * Fine-tunes a BERT text encoder end to end with a linear classifier on its mean-pooled output
 * (the paper's text module). The embedding's gradient avoids the kernel WASM lacks (see
 * encoders/bert.ts). Seeded; the best epoch by the early-stopping metric is kept, and on
 * return `bert`'s variables hold that epoch's weights (save them with saveBert).
 */
export async function finetuneBert(bert: LoadedBert, classes: number, train: CaptionSplit, val: CaptionSplit, config: FinetuneConfig, onEpoch: (r: EpochReport) => void | Promise<void>): Promise<FinetunedModel> {
  const hidden = bert.model.config.hidden_size;
  const limit = Math.sqrt(6 / (hidden + classes));
  const kernel = tf.variable(tf.randomUniform([hidden, classes], -limit, limit, 'float32', config.seed), true, 'finetune.kernel');
  const bias = tf.variable(tf.zeros([classes]), true, 'finetune.bias');
  const vars = [...bert.model.variables(), kernel, bias];
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < train.labels.length; i++) counts[i % classes] += train.labels[i];
  const classWeights = config.lossWeighting === 'recipe' ? recipeClassWeights(counts) : new Array<number>(classes).fill(1);
  const weights = tf.tensor2d(classWeights, [1, classes]);
  const optimizer = tf.train.adam(config.learningRate);
  const random = seededRandom(config.seed);
  const order = Array.from({ length: train.captions.length }, (_, i) => i);

  const logitsOf = (captions: string[]) => {
    const out = new Float32Array(captions.length * classes);
    for (let s = 0; s < captions.length; s += EVAL_BATCH) {
      const l = tf.tidy(() => tf.add(tf.matMul(bertFeatures(bert, captions.slice(s, s + EVAL_BATCH)), kernel), bias));
      out.set(l.dataSync(), s * classes);
      l.dispose();
    }
    return out;
  };
  const evaluate = (split: CaptionSplit, thresholds: number | number[] = 0.5) => {
    const n = split.captions.length;
    const { loss, probs } = weightedBce(logitsOf(split.captions), split.labels, n, classes, classWeights);
    return { loss, probs, metrics: multiLabelMetrics(assignLabels(probs, n, classes, thresholds), split.labels, n, classes) };
  };
  const score = (r: SplitReport) => (config.earlyStopping?.metric === 'loss' ? -r.loss : r.metrics[config.earlyStopping?.metric ?? 'microF1']);
  const snapshot = () => new Map(vars.map((v) => [v.name, v.dataSync().slice() as Float32Array]));

  let best = { score: -Infinity, epoch: 0, weights: snapshot() };
  let epochsRun = 0;
  let step = 0;
  try {
    // Numbered from 1, as in trainHead.
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const started = performance.now();
      shuffleInPlace(order, random);
      for (let b = 0; b < order.length; b += config.batchSize) {
        const rows = order.slice(b, b + config.batchSize);
        let captions = rows.map((r) => train.captions[r]);
        if (config.synonymRounds > 0 && random() < 0.5) captions = augmentCaptions(captions, config.seed * 1_000_003 + ++step * 7919);
        const y = new Float32Array(rows.length * classes);
        rows.forEach((r, i) => y.set(train.labels.subarray(r * classes, (r + 1) * classes), i * classes));
        tf.tidy(() => {
          const target = tf.tensor2d(y, [rows.length, classes]);
          optimizer.minimize(
            () => {
              let features: tf.Tensor = bertFeatures(bert, captions);
              if (config.dropout > 0) features = tf.dropout(features, config.dropout, undefined, config.seed + b);
              return tf.losses.sigmoidCrossEntropy(target, tf.add(tf.matMul(features, kernel), bias), weights) as tf.Scalar;
            },
            false,
            vars,
          );
        });
        await new Promise((r) => setImmediate(r));
      }
      const seconds = (performance.now() - started) / 1000;
      const trainReport = evaluate(train);
      const valReport = evaluate(val);
      epochsRun = epoch;
      await onEpoch({ epoch, seconds, train: { loss: trainReport.loss, metrics: trainReport.metrics }, val: { loss: valReport.loss, metrics: valReport.metrics } });
      const sc = score(valReport);
      if (sc > best.score) best = { score: sc, epoch, weights: snapshot() };
      else if (config.earlyStopping && epoch - best.epoch >= config.earlyStopping.patience) break;
    }
    for (const v of vars) tf.tidy(() => v.assign(tf.tensor(best.weights.get(v.name)!, v.shape)));
    let thresholds = new Array<number>(classes).fill(0.5);
    if (config.thresholds === 'tuned') thresholds = tuneThresholds(evaluate(val).probs, val.labels, val.captions.length, classes);
    const finalVal = evaluate(val, thresholds);
    return {
      head: { kernel: { shape: kernel.shape, data: Array.from(kernel.dataSync()) }, bias: { shape: bias.shape, data: Array.from(bias.dataSync()) } },
      thresholds,
      classWeights,
      bestEpoch: best.epoch,
      epochsRun,
      parameterCount: bert.model.parameterCount + kernel.size + bias.size,
      val: { loss: finalVal.loss, metrics: finalVal.metrics },
    };
  } finally {
    weights.dispose();
    optimizer.dispose();
    kernel.dispose();
    bias.dispose();
  }
}
