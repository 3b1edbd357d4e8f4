/**
 * CPU time of one training step of each head, the TF.js autodiff step (what runs on backends
 * other than WASM: a kernel per op, the tape, FastAdam) against the fused step
 * (src/ml/fast/fused-trainer.ts), on the same batches, back to back in one process. CPU time,
 * not wall time, so that a machine shared with other work disturbs the ratio little.
 *
 *   npx tsx bench/train-step.ts [--batch 64] [--steps 200]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { FastAdam } from '../src/ml/adam.js';
import { initBackend } from '../src/ml/backend.js';
import { FusedTrainer } from '../src/ml/fast/fused-trainer.js';
import { createComponent, forwardComponent, type ComponentShape, type Params } from '../src/ml/heads/components.js';
import { COMPONENTS } from '../src/ml/heads/kinds.js';
import { gatherRows } from '../src/ml/features-matrix.js';
import { seededRandom } from '../src/util/random.js';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '64' }, steps: { type: 'string', default: '200' } } });
const batch = Number(values.batch);
const steps = Number(values.steps);
const backend = await initBackend('auto');
if (backend.name !== 'wasm') throw new Error(`the fused step runs on WASM; this machine picked ${backend.label}`);
const shape: ComponentShape = { textDim: 1024, imageDim: 160, classes: 18, hiddenUnits: 0, attentionDim: 64, imageTokens: 80 };
const n = 4096;
const random = seededRandom(1);
const text = Float32Array.from({ length: n * shape.textDim }, () => random() * 2 - 1);
const image = Float32Array.from({ length: n * shape.imageDim }, () => random() * 2 - 1);
const labels = Uint8Array.from({ length: n * shape.classes }, () => (random() < 0.15 ? 1 : 0));
const labelMatrix = Float32Array.from(labels);
const classWeights = new Array<number>(shape.classes).fill(1);
const batches = Array.from({ length: steps }, (_, i) => Array.from({ length: batch }, (_, j) => (i * batch + j) % n));

/** CPU milliseconds per call of `step` over every batch. */
function cpuMs(step: (rows: number[]) => void): number {
  batches.slice(0, 20).forEach(step); // warm-up: compilation, first-touch, operator caches
  const start = process.cpuUsage();
  batches.forEach(step);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / steps;
}

console.log(`backend ${backend.label}; batch ${batch}; CPU ms per step, mean of ${steps}`);
console.log('head     TF.js autodiff  fused   speed-up');
for (const head of ['vision', 'text', 'fcnn', 'xattn'] as const) {
  const params: Params = {};
  COMPONENTS[head].forEach((c, i) => createComponent(c, shape, 7 + i, params));
  const adam = new FastAdam(Object.values(params), 1e-3);
  const weights = tf.tensor2d(classWeights, [1, shape.classes]);
  const autodiff = (rows: number[]) =>
    tf.tidy(() => {
      const inputs = { text: tf.tensor2d(gatherRows(text, shape.textDim, rows), [rows.length, shape.textDim]), image: tf.tensor2d(gatherRows(image, shape.imageDim, rows), [rows.length, shape.imageDim]) };
      const y = tf.tensor2d(gatherRows(labelMatrix, shape.classes, rows), [rows.length, shape.classes]);
      adam.minimize(() => tf.addN(COMPONENTS[head].map((c) => tf.losses.sigmoidCrossEntropy(y, forwardComponent(c, shape, params, inputs, { dropout: 0, seed: 0 }), weights))) as tf.Scalar);
    });
  const fused = FusedTrainer.create(COMPONENTS[head], shape, params, { batchSize: batch, learningRate: 1e-3, weightDecay: 0, decayed: () => false, classWeights, dropout: 0 })!;
  const before = cpuMs(autodiff);
  const after = cpuMs((rows) => fused.step(rows, text, image, labels, [1]));
  console.log(`${head.padEnd(9)}${before.toFixed(3).padStart(14)}${after.toFixed(3).padStart(7)}${(before / after).toFixed(1).padStart(10)}×`);
  fused.dispose();
  tf.dispose([weights, ...Object.values(params)]);
}
