import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FastAdam } from '../../src/ml/adam.js';
import { initBackend } from '../../src/ml/backend.js';
import { FusedTrainer } from '../../src/ml/fast/fused-trainer.js';
import { createComponent, forwardComponent, type ComponentShape, type Params } from '../../src/ml/heads/components.js';
import { COMPONENTS, type HeadKind } from '../../src/ml/heads/kinds.js';
import { seededRandom } from '../../src/util/random.js';

const shape = (hiddenUnits: number): ComponentShape => ({ textDim: 12, imageDim: 16, classes: 5, hiddenUnits, attentionDim: 8, imageTokens: 8 });
const n = 40;
const random = seededRandom(3);
const text = Float32Array.from({ length: n * 12 }, () => random() * 2 - 1);
const image = Float32Array.from({ length: n * 16 }, () => random() * 2 - 1);
const labels = Uint8Array.from({ length: n * 5 }, () => (random() < 0.3 ? 1 : 0));
const classWeights = [1, 0.5, 2, 1.5, 0.8];
const batches = [
  [3, 17, 5, 22, 9, 31, 0, 12, 38, 26, 14, 7],
  [1, 2, 4, 8, 16, 32, 33, 34, 35],
  [39, 6, 11, 19, 27, 28, 10, 13, 15, 18, 20, 21],
];

function makeParams(head: HeadKind, s: ComponentShape): Params {
  const params: Params = {};
  COMPONENTS[head].forEach((c, i) => createComponent(c, s, 7 * 101 + i * 17, params));
  return params;
}

function gather(x: Float32Array, d: number, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(x.subarray(r * d, r * d + d), i * d));
  return out;
}

/** The reference: TF.js autodiff of the components' summed losses, stepped by FastAdam. */
function referenceSteps(head: HeadKind, s: ComponentShape, weightDecay: number): Values {
  const params = makeParams(head, s);
  const kernels = new Set(Object.entries(params).filter(([k]) => k.endsWith('.kernel')).map(([, v]) => v));
  const adam = new FastAdam(Object.values(params), 0.01, weightDecay, (v) => kernels.has(v));
  const w = tf.tensor2d(classWeights, [1, 5]);
  for (const rows of batches) {
    tf.tidy(() => {
      const batch = { text: tf.tensor2d(gather(text, 12, rows), [rows.length, 12]), image: tf.tensor2d(gather(image, 16, rows), [rows.length, 16]) };
      const y = tf.tensor2d(gather(Float32Array.from(labels), 5, rows), [rows.length, 5]);
      adam.minimize(() => tf.addN(COMPONENTS[head].map((c) => tf.losses.sigmoidCrossEntropy(y, forwardComponent(c, s, params, batch, { dropout: 0, seed: 0 }), w))) as tf.Scalar);
    });
  }
  w.dispose();
  return release(params);
}

function fusedSteps(head: HeadKind, s: ComponentShape, weightDecay: number, dropout = 0): Values {
  const params = makeParams(head, s);
  const trainer = FusedTrainer.create(COMPONENTS[head], s, params, { batchSize: 12, learningRate: 0.01, weightDecay, decayed: (name) => name.endsWith('.kernel'), classWeights, dropout })!;
  try {
    batches.forEach((rows, i) => trainer.step(rows, text, image, labels, COMPONENTS[head].map((_, c) => i * 7 + c)));
    trainer.writeBack();
  } finally {
    trainer.dispose();
  }
  return release(params);
}

type Values = Record<string, number[]>;

/** The parameters' values; the variables are disposed (their names are global). */
function release(params: Params): Values {
  const out = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Array.from(v.dataSync())]));
  tf.dispose(Object.values(params));
  return out;
}

describe('FusedTrainer', () => {
  beforeAll(async () => {
    const backend = await initBackend('auto');
    expect(backend.name).toBe('wasm');
  });

  it.each([
    ['vision', 0, 0],
    ['text', 0, 0],
    ['fcnn', 0, 0],
    ['fcnn', 6, 0.1],
    ['xattn', 0, 0],
    ['xattn', 6, 0.1],
    ['fm2', 0, 0],
    ['fm3', 4, 0],
  ] as const)('takes the steps TF.js autodiff and Adam take: %s, hidden %i, weight decay %f', (head, hidden, weightDecay) => {
    const before = tf.memory().numTensors;
    const initial = release(makeParams(head, shape(hidden)));
    const e = referenceSteps(head, shape(hidden), weightDecay);
    const a = fusedSteps(head, shape(hidden), weightDecay);
    expect(Object.keys(a)).toEqual(Object.keys(e));
    for (const name of Object.keys(e)) {
      if (name === 'xattn.key.bias') {
        // Its true gradient is zero (a softmax ignores a shift shared by all scores), so either
        // side moves it only by rounding noise, which Adam scales up to at most about lr·1e-2.
        for (const v of [...e[name], ...a[name]]) expect(Math.abs(v)).toBeLessThan(1e-3);
        continue;
      }
      const diff = Math.max(...e[name].map((v, i) => Math.abs(v - a[name][i])));
      expect(diff, name).toBeLessThan(2e-5);
      // Adam moves each weight by about the learning rate per step: the steps happened.
      expect(a[name].some((v, i) => v !== initial[name][i]), name).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is deterministic with dropout: the same seeds give the same weights, bit for bit', () => {
    const run = () => fusedSteps('xattn', shape(6), 0, 0.3);
    const a = run();
    expect(run()).toEqual(a);
    const noDropout = fusedSteps('xattn', shape(6), 0, 0);
    expect(noDropout).not.toEqual(a);
  });
});
