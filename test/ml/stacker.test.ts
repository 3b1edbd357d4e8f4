import { describe, expect, it } from 'vitest';
import { assignLabels } from '../../src/ml/labels.js';
import { multiLabelMetrics } from '../../src/ml/metrics.js';
import { combineLogits, fitStacker, kFolds, withF1Offset } from '../../src/ml/stacker.js';
import { seededRandom } from '../../src/util/random.js';

describe('stacker', () => {
  it('without a stacker, fuses by the mean of the logits (the paper\'s fusion)', () => {
    const a = Float32Array.from([1, -2, 3, 0]);
    const b = Float32Array.from([3, 2, -1, 4]);
    expect(Array.from(combineLogits([a, b], 2, 2))).toEqual([2, 0, 1, 2]);
    const stacked = combineLogits([a, b], 2, 2, { weights: [[1, 0], [0, 2]], bias: [0.5, -1] });
    expect(Array.from(stacked)).toEqual([1.5, 3, 3.5, 7]);
  });

  it('learns per class which component to trust: the informative one gets the weight', () => {
    // class 0: component A's logits carry the label, B's are noise; class 1: the other way round
    const n = 400;
    const c = 2;
    const random = seededRandom(7);
    const labels = new Uint8Array(n * c);
    const a = new Float32Array(n * c);
    const b = new Float32Array(n * c);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < c; j++) labels[i * c + j] = random() < 0.4 ? 1 : 0;
      const signal = (j: number) => (labels[i * c + j] ? 2 : -2) + (random() - 0.5) * 2;
      const noise = () => (random() - 0.5) * 8;
      a[i * c] = signal(0);
      b[i * c] = noise();
      a[i * c + 1] = noise();
      b[i * c + 1] = signal(1);
    }
    const stacker = fitStacker([a, b], labels, n, c);
    expect(stacker.weights[0][0]).toBeGreaterThan(1);
    expect(Math.abs(stacker.weights[0][1])).toBeLessThan(0.2);
    expect(stacker.weights[1][1]).toBeGreaterThan(1);
    expect(Math.abs(stacker.weights[1][0])).toBeLessThan(0.2);
    // the stack classifies better than the mean, which lets the noise in
    const errorsOf = (logits: Float32Array) => logits.reduce((e, z, k) => e + ((z > 0 ? 1 : 0) !== labels[k] ? 1 : 0), 0);
    expect(errorsOf(combineLogits([a, b], n, c, stacker))).toBeLessThan(errorsOf(combineLogits([a, b], n, c)) / 2);
  });

  it('stays finite on saturated logits of a common class, and fits them no worse than the mean', () => {
    // Both components say ±12 (p ≈ 1e-5 from 0 or 1) and are wrong on one sample in ten: a plain
    // Newton step from the mean is hundreds wide there (the curvature is ~0), and diverged.
    const n = 400;
    const random = seededRandom(3);
    const labels = new Uint8Array(n);
    const a = new Float32Array(n);
    const b = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = random() < 0.75 ? 1 : 0;
      const sign = (labels[i] ? 1 : -1) * (random() < 0.1 ? -1 : 1);
      a[i] = 12 * sign;
      b[i] = 12 * sign * (random() < 0.5 ? 1 : 0.8);
    }
    const stacker = fitStacker([a, b], labels, n, 1);
    for (const w of [...stacker.weights[0], ...stacker.bias]) expect(Math.abs(w)).toBeLessThan(10);
    const logLoss = (logits: Float32Array) => logits.reduce((sum, z, i) => sum + Math.log1p(Math.exp(-Math.abs(z))) + Math.max(z, 0) - z * labels[i], 0) / n;
    expect(logLoss(combineLogits([a, b], n, 1, stacker))).toBeLessThan(logLoss(combineLogits([a, b], n, 1)));
  });

  it('moves the decision to where micro-F1 peaks on the data it was fitted on, through the biases', () => {
    // a rare class whose logits overlap: calibrated probabilities rarely pass 0.5, so F1 wants a lower cut
    const n = 2000;
    const random = seededRandom(11);
    const labels = new Uint8Array(n * 2);
    const a = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      labels[i * 2] = random() < 0.15 ? 1 : 0;
      // a class on every sample, so that the top-label fallback never decides for the rare one
      labels[i * 2 + 1] = 1;
      a[i * 2] = (labels[i * 2] ? 1 : -1) + (random() - 0.5) * 5;
      a[i * 2 + 1] = 6;
    }
    const f1 = (s: { weights: number[][]; bias: number[] }) => {
      const probs = combineLogits([a], n, 2, s).map((z) => 1 / (1 + Math.exp(-z)));
      return multiLabelMetrics(assignLabels(probs, n, 2, 0.5), labels, n, 2).microF1;
    };
    const fitted = fitStacker([a], labels, n, 2);
    const moved = withF1Offset(fitted, [a], labels, n, 2);
    expect(moved.offset).toBeGreaterThan(0);
    moved.bias.forEach((b, j) => expect(b - fitted.bias[j]).toBeCloseTo(moved.offset, 12));
    expect(moved.weights).toEqual(fitted.weights);
    expect(f1(moved)).toBeGreaterThan(f1(fitted));
  });

  it('keeps the mean for a class with no positive example', () => {
    const stacker = fitStacker([Float32Array.from([1, 2]), Float32Array.from([3, 4])], new Uint8Array(2), 2, 1);
    expect(stacker).toEqual({ weights: [[0.5, 0.5]], bias: [0] });
  });

  it('splits rows into seeded folds: each row once, sizes within one, the same for the same seed', () => {
    const rows = Array.from({ length: 23 }, (_, i) => i * 3);
    const folds = kFolds(rows, 5, seededRandom(42));
    expect(folds).toHaveLength(5);
    expect(folds.flat().sort((x, y) => x - y)).toEqual(rows);
    expect(Math.max(...folds.map((f) => f.length)) - Math.min(...folds.map((f) => f.length))).toBeLessThanOrEqual(1);
    expect(kFolds(rows, 5, seededRandom(42))).toEqual(folds);
    expect(kFolds(rows, 5, seededRandom(43))).not.toEqual(folds);
  });
});
