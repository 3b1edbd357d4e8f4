import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend.js';
import { seededRandom } from '../../src/util/random.js';

describe('the WASM mean over height and width (a batched matmul)', () => {
  const [n, h, w, c] = [3, 5, 7, 4];
  const random = seededRandom(11);
  const values = Float32Array.from({ length: n * h * w * c }, () => random() * 4 - 2);
  const at = (b: number, y: number, x: number, k: number) => values[((b * h + y) * w + x) * c + k];

  beforeAll(async () => {
    expect((await initBackend('auto')).name).toBe('wasm');
  });

  /** Means over the given axes of [n, h, w, c], computed in float64 by brute force. */
  function reference(axes: number[]): number[] {
    const keep = [0, 1, 2, 3].filter((a) => !axes.includes(a));
    const out = new Map<string, { sum: number; count: number }>();
    for (let b = 0; b < n; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < c; k++) {
            const key = keep.map((a) => [b, y, x, k][a]).join(',');
            const e = out.get(key) ?? { sum: 0, count: 0 };
            e.sum += at(b, y, x, k);
            e.count++;
            out.set(key, e);
          }
    return [...out.values()].map((e) => e.sum / e.count);
  }

  it.each([
    [[1, 2], false, [n, c]],
    [[2, 1], true, [n, 1, 1, c]],
    [[-3, -2], false, [n, c]],
    [[3], false, [n, h, w]],
    [[1], true, [n, 1, w, c]],
    [[0, 1, 2], false, [c]],
  ])('mean over %j (keepDims %s) has shape %j and the right values', (axes, keepDims, shape) => {
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(values, [n, h, w, c]);
    const m = tf.mean(x, axes, keepDims);
    expect(m.shape).toEqual(shape);
    const expected = reference(axes.map((a) => (a < 0 ? a + 4 : a)));
    const actual = Array.from(m.dataSync());
    expect(actual).toHaveLength(expected.length);
    actual.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-6));
    tf.dispose([x, m]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('has a gradient as before (a mean spreads its gradient evenly)', () => {
    const x = tf.tensor4d(values, [n, h, w, c]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mean(t, [1, 2])))(x);
    for (const v of g.dataSync()) expect(v).toBeCloseTo(1 / (h * w), 7);
    tf.dispose([x, g]);
  });
});
