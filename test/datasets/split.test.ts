import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from '../../src/datasets/split.js';

describe('stratifiedSplit', () => {
  const labels = Array.from({ length: 1000 }, (_, i) => (i % 50 === 0 ? [1, 7] : i % 5 === 0 ? [1, 2] : [1]));

  it('is deterministic for a seed and changes with the seed', () => {
    expect(stratifiedSplit(labels, 0.1, 42)).toEqual(stratifiedSplit(labels, 0.1, 42));
    expect(stratifiedSplit(labels, 0.1, 42)).not.toEqual(stratifiedSplit(labels, 0.1, 43));
  });

  it('holds out the requested share overall and of each rare class', () => {
    const val = stratifiedSplit(labels, 0.1, 7);
    expect(val.filter(Boolean).length).toBe(100);
    const rare = labels.map((l, i) => (l.includes(7) ? i : -1)).filter((i) => i >= 0);
    expect(rare.filter((i) => val[i]).length).toBe(2); // 20 samples of class 7 → 2 in validation
    const class2 = labels.map((l, i) => (l.includes(2) ? i : -1)).filter((i) => i >= 0);
    expect(class2.filter((i) => val[i]).length).toBe(18); // 180 samples → 18
  });
});
