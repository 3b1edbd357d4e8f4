import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCenternetEncoder } from '../../../src/ml/encoders/centernet.js';
import { pooledDim, poolHeatmaps } from '../../../src/ml/encoders/heatmap-pooling.js';
import type { ImageEncoder } from '../../../src/ml/encoders/types.js';
import { asymmetric, maxAbsDiff, tempDir, writePng } from '../support/images.js';

describe('heatmap pooling', () => {
  it('grid2 keeps where a class fires: each quadrant max and mean after the global ones', () => {
    // one image, 4×4 heatmaps, 2 classes: class 0 fires top-right only, class 1 everywhere at 0.25
    const h = 4;
    const data = new Float32Array(h * h * 2);
    for (let y = 0; y < h; y++) for (let x = 0; x < h; x++) data[(y * h + x) * 2 + 1] = 0.25;
    data[(0 * h + 3) * 2] = 1;
    const pooled = tf.tidy(() => poolHeatmaps(tf.tensor4d(data, [1, h, h, 2]), 'grid2').arraySync()[0]);
    expect(pooled).toHaveLength(pooledDim('grid2', 2));
    // global max (2), global mean (2)
    expect(pooled.slice(0, 4)).toEqual([1, 0.25, 1 / 16, 0.25]);
    // quadrant maxima: tl, tr, bl, br, each [class 0, class 1]
    expect(pooled.slice(4, 12)).toEqual([0, 0.25, 1, 0.25, 0, 0.25, 0, 0.25]);
    // quadrant means: the top-right cell holds one 1 among four values
    expect(pooled.slice(12, 20)).toEqual([0, 0.25, 0.25, 0.25, 0, 0.25, 0, 0.25]);
    const global = tf.tidy(() => poolHeatmaps(tf.tensor4d(data, [1, h, h, 2]), 'global').arraySync()[0]);
    expect(global).toEqual(pooled.slice(0, 4));
  });

  it('refuses odd heatmap sides for grid2', () => {
    expect(() => tf.tidy(() => poolHeatmaps(tf.zeros([1, 3, 4, 2]) as tf.Tensor4D, 'grid2'))).toThrow(/even/);
  });
});

// The real COCO model: one image, both poolings.
describe('centernet-coco with pooling grid2', () => {
  let global: ImageEncoder;
  let grid: ImageEncoder;
  const dir = tempDir();
  let path = '';

  beforeAll(async () => {
    [global, grid] = await Promise.all([createCenternetEncoder({ batchSize: 1 }), createCenternetEncoder({ batchSize: 1, pooling: 'grid2' })]);
    path = await writePng(dir, 'a.png', 320, 240, asymmetric(320, 240, 1));
  });
  afterAll(async () => {
    await global?.dispose();
    await grid?.dispose();
  });

  it('is 800-d, another version (its features are cached apart), and starts with the global features', async () => {
    expect(grid.dim).toBe(800);
    expect(global.dim).toBe(160);
    expect(grid.version).not.toBe(global.version);
    const [[g], [s]] = [await global.encode([{ path }]), await grid.encode([{ path }])];
    expect(s).toHaveLength(800);
    expect(maxAbsDiff(s.slice(0, 160), g)).toBeLessThan(1e-6);
    // each class's global max is the largest of its quadrant maxima
    for (let k = 0; k < 80; k++) expect(Math.max(s[160 + k], s[240 + k], s[320 + k], s[400 + k])).toBeCloseTo(s[k], 6);
  });
});
