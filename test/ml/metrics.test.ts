import { describe, expect, it } from 'vitest';
import { recipeClassWeights } from '../../src/ml/class-weights.js';
import { assignLabels, tuneThresholds } from '../../src/ml/labels.js';
import { multiLabelMetrics } from '../../src/ml/metrics.js';

const m = (rows: number[][]) => Uint8Array.from(rows.flat());

describe('multiLabelMetrics', () => {
  it('matches scikit-learn on a worked example', () => {
    // y_true = [[1,0,1],[0,1,0],[1,1,0],[0,0,1]]; y_pred = [[1,0,0],[0,1,1],[1,0,0],[0,0,1]]
    // by hand: per class (tp, fp, fn) = (2,0,0), (1,0,1), (1,1,1) → F1 1, 2/3, 1/2;
    // micro 2·4/(2·4+1+2) = 8/11; samples (2/3 + 2/3 + 2/3 + 1)/4 = 3/4; one sample exact
    const r = multiLabelMetrics(m([[1, 0, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]]), m([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 1]]), 4, 3);
    expect(r.microF1).toBeCloseTo(8 / 11, 10);
    expect(r.macroF1).toBeCloseTo((1 + 2 / 3 + 1 / 2) / 3, 10);
    expect(r.samplesF1).toBeCloseTo(0.75, 10);
    expect(r.subsetAccuracy).toBeCloseTo(0.25, 10);
    expect(r.perClass.map((c) => c.f1)).toEqual([1, expect.closeTo(2 / 3, 6), 0.5]);
    expect(r.perClass.map((c) => c.support)).toEqual([2, 2, 2]);
    expect(r.perClass[2]).toMatchObject({ precision: 0.5, recall: 0.5, accuracy: 0.5 });
    expect(r.meanAccuracy).toBeCloseTo((1 + 0.75 + 0.5) / 3, 6);
  });

  it('gives 0, not NaN, for a class never predicted nor present', () => {
    const r = multiLabelMetrics(m([[1, 0]]), m([[1, 0]]), 1, 2);
    expect(r.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, accuracy: 1 });
    expect(r.microF1).toBe(1);
  });
});

describe('label assignment', () => {
  it('thresholds at 0.5 and falls back to the top label', () => {
    const probs = Float32Array.from([0.9, 0.6, 0.1, 0.2, 0.4, 0.3]);
    expect(Array.from(assignLabels(probs, 2, 3))).toEqual([1, 1, 0, 0, 1, 0]);
  });

  it('uses per-class thresholds', () => {
    const probs = Float32Array.from([0.3, 0.6]);
    expect(Array.from(assignLabels(probs, 1, 2, [0.25, 0.7]))).toEqual([1, 0]);
  });

  it('tunes a threshold per class on validation data', () => {
    // class 0 is separable at 0.3; class 1 at 0.75; class 2 has no positives
    const probs = Float32Array.from([0.35, 0.8, 0.1, 0.25, 0.7, 0.2, 0.4, 0.9, 0.9, 0.1, 0.6, 0.3]);
    const truth = m([[1, 1, 0], [0, 0, 0], [1, 1, 0], [0, 0, 0]]);
    const t = tuneThresholds(probs, truth, 4, 3);
    expect(t[0]).toBeGreaterThanOrEqual(0.25);
    expect(t[0]).toBeLessThan(0.35);
    expect(t[1]).toBeGreaterThanOrEqual(0.7);
    expect(t[1]).toBeLessThan(0.8);
    expect(t[2]).toBe(0.5);
  });
});

describe('recipe class weights', () => {
  it('weights rare and common classes more than middling ones', () => {
    const w = recipeClassWeights([3840, 753, 41, 1]);
    const total = 3840 + 753 + 41 + 1;
    expect(w[0]).toBeCloseTo((Math.log(3840) / Math.log(total) + Math.log(total) / Math.log(3840)) / 2, 10);
    expect(w[2]).toBeGreaterThan(w[1]);
    expect(w[0]).toBeGreaterThan(1);
    expect(Number.isFinite(w[3])).toBe(true);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(1); // (a + 1/a)/2 ≥ 1
  });
});
