import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FastAdam } from '../../src/ml/adam.js';
import { initBackend } from '../../src/ml/backend.js';

describe('FastAdam', () => {
  beforeAll(async () => {
    await initBackend('auto');
  });

  const problem = () => {
    const x = tf.randomNormal([32, 8], 0, 1, 'float32', 1);
    const y = tf.randomNormal([32, 3], 0, 1, 'float32', 2);
    const w = tf.variable(tf.randomNormal([8, 3], 0, 0.1, 'float32', 3));
    const b = tf.variable(tf.zeros([3]));
    const loss = () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar;
    return { w, b, loss, dispose: () => tf.dispose([x, y, w, b]) };
  };

  it('takes the same steps as tf.train.adam', () => {
    const a = problem();
    const reference = tf.train.adam(0.01);
    for (let i = 0; i < 25; i++) reference.minimize(a.loss, false, [a.w, a.b]);
    const b = problem();
    const fast = new FastAdam([b.w, b.b], 0.01);
    for (let i = 0; i < 25; i++) fast.minimize(b.loss);
    const diff = Math.max(...Array.from(a.w.dataSync(), (v, i) => Math.abs(v - b.w.dataSync()[i])));
    expect(diff).toBeLessThan(1e-5);
    expect(b.loss().dataSync()[0]).toBeLessThan(a.loss().dataSync()[0] + 1e-5);
    reference.dispose();
    a.dispose();
    b.dispose();
  });

  it('decays only the chosen variables, decoupled from the gradient', () => {
    const p = problem();
    const zero = () => tf.mul(tf.sum(p.w), 0) as tf.Scalar; // no gradient signal at all
    const before = p.w.dataSync().slice();
    const biasBefore = p.b.dataSync().slice();
    new FastAdam([p.w, p.b], 0.1, 0.5, (v) => v === p.w).minimize(() => tf.add(zero(), tf.mul(tf.sum(p.b), 0)) as tf.Scalar);
    expect(Array.from(p.w.dataSync())).toEqual(Array.from(before, (v) => Math.fround(v * (1 - 0.1 * 0.5))));
    expect(Array.from(p.b.dataSync())).toEqual(Array.from(biasBefore));
    p.dispose();
  });
});
