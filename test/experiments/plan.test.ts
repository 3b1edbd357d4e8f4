import { describe, expect, it } from 'vitest';
import { parseExperimentInput } from '../../src/experiments/input.js';
import { medianStop } from '../../src/experiments/median-stopping.js';
import { sweepTrials, withField } from '../../src/experiments/plan.js';
import { toCsv, toMarkdown } from '../../src/experiments/tables.js';

const sweep = (raw: Record<string, unknown>) => sweepTrials(parseExperimentInput('sweep', { datasetId: 'd', ...raw }));

describe('sweep planning', () => {
  it('crosses every value list (grid), setting nested fields, with stable keys and names', () => {
    const trials = sweep({
      base: { head: 'text', epochs: 3, augmentation: { synonymRounds: 1 } },
      space: [
        { name: 'learningRate', values: [0.1, 0.01] },
        { name: 'augmentation.flip', values: [true, false] },
        { name: 'textEncoder', values: [{ id: 'tfidf' }, { id: 'glove-100d' }] },
      ],
    });
    expect(trials).toHaveLength(8);
    expect(trials.map((t) => t.key)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
    expect(trials[0].name).toBe('learningRate=0.1 augmentation.flip=true textEncoder=tfidf');
    expect(trials[7].input).toEqual({ datasetId: 'd', name: trials[7].name, head: 'text', epochs: 3, learningRate: 0.01, augmentation: { synonymRounds: 1, flip: false }, textEncoder: { id: 'glove-100d' } });
  });

  it('draws random trials from lists and (log-)uniform ranges, the same for the same seed', () => {
    const raw = { strategy: 'random', trials: 50, seed: 7, space: [{ name: 'learningRate', min: 1e-4, max: 1e-1, log: true }, { name: 'batchSize', min: 16, max: 256, integer: true }, { name: 'optimizer', values: ['adam', 'adamw'] }] };
    const a = sweep(raw);
    expect(a).toHaveLength(50);
    expect(sweep(raw)).toEqual(a);
    expect(sweep({ ...raw, seed: 8 })).not.toEqual(a);
    const lr = a.map((t) => t.input.learningRate as number);
    expect(Math.min(...lr)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...lr)).toBeLessThanOrEqual(1e-1);
    // log-uniform: about half the draws fall below the geometric middle (≈ 0.0032)
    expect(lr.filter((v) => v < Math.sqrt(1e-5)).length).toBeGreaterThan(12);
    expect(a.every((t) => Number.isInteger(t.input.batchSize))).toBe(true);
    expect(new Set(a.map((t) => t.input.optimizer))).toEqual(new Set(['adam', 'adamw']));
  });

  it('refuses what cannot be planned, naming the field', () => {
    expect(() => sweep({ space: [{ name: 'learningRate', min: 0.1, max: 1 }] })).toThrow(/grid search needs values for learningRate/);
    expect(() => sweep({ space: [{ name: 'a', values: [1] }, { name: 'a', values: [2] }] })).toThrow(/space names a twice/);
    expect(() => sweep({ space: [{ name: 'a', values: Array.from({ length: 30 }, (_, i) => i) }, { name: 'b', values: Array.from({ length: 30 }, (_, i) => i) }] })).toThrow(/900 combinations; at most 500/);
    expect(() => sweep({ space: [] })).toThrow(/space: space must name at least one parameter/);
    expect(() => sweep({ strategy: 'random', space: [{ name: 'x', min: 0, max: 1, log: true }] })).toThrow(/a log range needs min > 0/);
  });

  it('sets dotted fields without touching the original', () => {
    const original = { a: { b: 1 } };
    expect(withField(original, 'a.c.d', 2)).toEqual({ a: { b: 1, c: { d: 2 } } });
    expect(original).toEqual({ a: { b: 1 } });
  });
});

describe('median stopping rule', () => {
  // Epochs are numbered from 1, as training records them.
  const curve = (...v: number[]) => new Map(v.map((x, i) => [i + 1, x]));
  const rule = { graceEpochs: 2, minTrials: 2, minimise: false };

  it('stops a trial whose best so far is below the median of the others at the same epoch', () => {
    expect(medianStop(curve(0.2, 0.3, 0.35), [curve(0.5, 0.6, 0.7, 0.8), curve(0.4, 0.5, 0.6), curve(0.1, 0.2, 0.3)], rule)).toEqual({ epoch: 3, value: 0.35, median: 0.6 });
  });

  it('lets it run during the grace epochs, without enough peers, or when it is at the median or above', () => {
    expect(medianStop(curve(0.1), [curve(0.9, 0.9), curve(0.9, 0.9)], rule)).toBeNull(); // epoch 1 < grace (2 epochs)
    expect(medianStop(curve(0.1, 0.1), [curve(0.9, 0.9)], rule)).toBeNull(); // one peer
    expect(medianStop(curve(0.1, 0.1), [curve(0.9, 0.9), curve(0.9)], rule)).toBeNull(); // a peer has not reached epoch 2
    expect(medianStop(curve(0.6, 0.5), [curve(0.5, 0.6), curve(0.2, 0.3)], rule)).toBeNull(); // best 0.6 ≥ median 0.45
  });

  it('minimises losses', () => {
    const loss = { ...rule, minimise: true };
    expect(medianStop(curve(0.9, 0.8), [curve(0.5, 0.4), curve(0.6, 0.5)], loss)).toEqual({ epoch: 2, value: 0.8, median: 0.45 });
    expect(medianStop(curve(0.3, 0.4), [curve(0.5, 0.4), curve(0.6, 0.5)], loss)).toBeNull();
  });
});

describe('result tables', () => {
  const table = { title: 'T', columns: ['Config', 'F1', 'Note'], rows: [['a|b', 0.123456, null], ['c', 3, 'x, "y"']] as (string | number | null)[][] };
  it('renders Markdown with escaped pipes and CSV with RFC 4180 quoting', () => {
    expect(toMarkdown(table)).toBe('**T**\n\n| Config | F1 | Note |\n| --- | --- | --- |\n| a\\|b | 0.1235 | — |\n| c | 3 | x, "y" |\n');
    expect(toCsv(table)).toBe('Config,F1,Note\r\na|b,0.123456,\r\nc,3,"x, ""y"""\r\n');
  });
});
