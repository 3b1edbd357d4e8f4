import * as tf from '@tensorflow/tfjs';

/**
 * How class heatmaps [N,H,W,C] become one feature vector per image. `global`: each heatmap's
 * max then its mean (2C). `grid2`: the same, then the max and the mean of each quadrant
 * (top-left, top-right, bottom-left, bottom-right; 10C in all), so that where a class fires
 * survives pooling ("a person on the left, a horse on the right").
 */
export type HeatmapPooling = 'global' | 'grid2';

export const HEATMAP_POOLINGS = ['global', 'grid2'] as const;

/** Feature length of a pooling over `classes` heatmaps. */
export function pooledDim(pooling: HeatmapPooling, classes: number): number {
  return pooling === 'grid2' ? 10 * classes : 2 * classes;
}

/** Pools [N,H,W,C] heatmaps into [N, pooledDim]; H and W must be even for grid2. Call inside tf.tidy. */
export function poolHeatmaps(heatmaps: tf.Tensor4D, pooling: HeatmapPooling): tf.Tensor2D {
  const [n, h, w, c] = heatmaps.shape;
  const parts: tf.Tensor2D[] = [tf.max(heatmaps, [1, 2]), tf.mean(heatmaps, [1, 2])];
  if (pooling === 'grid2') {
    if (h % 2 || w % 2) throw new Error(`grid2 pooling needs even heatmap sides, not ${h}×${w}`);
    // Slices keep every op at rank 4, which all TF.js backends (WASM too) reduce natively.
    const cells = [0, 1].flatMap((y) => [0, 1].map((x) => tf.slice(heatmaps, [0, (y * h) / 2, (x * w) / 2, 0], [n, h / 2, w / 2, c])));
    parts.push(...cells.map((cell) => tf.max(cell, [1, 2]) as tf.Tensor2D), ...cells.map((cell) => tf.mean(cell, [1, 2]) as tf.Tensor2D));
  }
  return tf.concat(parts, 1);
}
