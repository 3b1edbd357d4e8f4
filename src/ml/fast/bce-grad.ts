/**
 * dL/dlogits of tf.losses.sigmoidCrossEntropy(labels, logits, classWeights) with its default
 * reduction (the weighted sum divided by the number of nonzero weights, broadcast over the
 * batch): w_c·(σ(z) − y) / (m·nonzero). The loss value itself is not needed for the step.
 * Written row-major into `g` (m × classes).
 */
export function bceWithLogitsGrad(
  z: Float32Array,
  labels: Uint8Array,
  rows: readonly number[],
  classWeights: Float32Array,
  g: Float32Array,
): void {
  const c = classWeights.length;
  const m = rows.length;
  let nonzero = 0;
  for (let j = 0; j < c; j++) if (classWeights[j] !== 0) nonzero++;
  const scale = 1 / Math.max(1, m * nonzero);
  for (let b = 0; b < m; b++) {
    const y = rows[b] * c;
    for (let j = 0; j < c; j++) {
      g[b * c + j] = classWeights[j] * (1 / (1 + Math.exp(-z[b * c + j])) - labels[y + j]) * scale;
    }
  }
}
