/**
 * Label assignment (paper §"label assignment"): sigmoid probabilities above a threshold are
 * labels, and a sample with none above gets its highest-scoring label, so that no prediction
 * is empty. Thresholds are one number, or one per class tuned on the validation split.
 */

export const DEFAULT_THRESHOLD = 0.5;

export function assignLabels(probs: Float32Array, n: number, c: number, thresholds: number | ArrayLike<number> = DEFAULT_THRESHOLD): Uint8Array {
  const out = new Uint8Array(n * c);
  const th = (j: number) => (typeof thresholds === 'number' ? thresholds : thresholds[j]);
  for (let i = 0; i < n; i++) {
    let any = false;
    let best = 0;
    for (let j = 0; j < c; j++) {
      const p = probs[i * c + j];
      if (p > th(j)) {
        out[i * c + j] = 1;
        any = true;
      }
      if (p > probs[i * c + best]) best = j;
    }
    if (!any && c > 0) out[i * c + best] = 1;
  }
  return out;
}

/**
 * Per-class thresholds that maximise each class's F1 on the given (validation) data, searched
 * on a grid. A class without positives keeps the default. Ties go to the threshold nearest 0.5,
 * so that a flat optimum does not drift to an extreme.
 */
export function tuneThresholds(probs: Float32Array, truth: Uint8Array, n: number, c: number, grid = defaultGrid()): number[] {
  const out: number[] = [];
  for (let j = 0; j < c; j++) {
    let positives = 0;
    for (let i = 0; i < n; i++) positives += truth[i * c + j];
    if (positives === 0) {
      out.push(DEFAULT_THRESHOLD);
      continue;
    }
    let best = DEFAULT_THRESHOLD;
    let bestF1 = -1;
    for (const t of grid) {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      for (let i = 0; i < n; i++) {
        const p = probs[i * c + j] > t;
        const y = truth[i * c + j] === 1;
        if (p && y) tp++;
        else if (p) fp++;
        else if (y) fn++;
      }
      const f1 = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
      if (f1 > bestF1 + 1e-12 || (Math.abs(f1 - bestF1) <= 1e-12 && Math.abs(t - 0.5) < Math.abs(best - 0.5))) {
        bestF1 = f1;
        best = t;
      }
    }
    out.push(best);
  }
  return out;
}

function defaultGrid(): number[] {
  return Array.from({ length: 19 }, (_, i) => Math.round((0.05 + i * 0.05) * 100) / 100);
}
