import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/ml/backend.js';
import { HEAD_KINDS } from '../../src/ml/heads/kinds.js';
import { trainHead, type EpochReport } from '../../src/ml/train.js';
import { baseConfig, syntheticData } from './support/synthetic.js';

describe('trainHead', () => {
  const data = syntheticData(900);
  beforeAll(async () => {
    await initBackend('cpu' === process.env.TEST_TF_BACKEND ? 'cpu' : 'auto');
  });

  it.each(HEAD_KINDS)('trains %s and reports every epoch', async (head) => {
    const epochs: EpochReport[] = [];
    const before = tf.memory().numTensors;
    const model = await trainHead(data, { ...baseConfig, head, epochs: 6 }, (r) => void epochs.push(r));
    expect(tf.memory().numTensors).toBe(before); // nothing leaks
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]); // numbered from 1
    expect([model.epochsRun, epochs.some((e) => e.epoch === model.bestEpoch)]).toEqual([6, true]);
    expect(epochs[5].val.metrics.microF1).toBeGreaterThan(0.55); // one modality alone sees half the signal
    expect(epochs[5].train.loss).toBeLessThan(epochs[0].train.loss);
    expect(epochs[0].val.metrics.perClass).toHaveLength(6);
    expect(model.parameterCount).toBeGreaterThan(0);
  });

  it('fuses: FM2 beats each of its modalities on validation', async () => {
    const run = async (head: 'vision' | 'text' | 'fm2') => (await trainHead(data, { ...baseConfig, head, epochs: 6 }, () => {})).val.metrics.microF1;
    const [vision, text, fm2] = [await run('vision'), await run('text'), await run('fm2')];
    expect(fm2).toBeGreaterThan(Math.max(vision, text));
  });

  it('is reproducible: same seed, same metrics; another seed, other metrics', async () => {
    const go = async (seed: number) => {
      const out: number[] = [];
      await trainHead(data, { ...baseConfig, head: 'xattn', hiddenUnits: 16, dropout: 0.2, optimizer: 'adamw', weightDecay: 0.01, seed }, (r) => void out.push(r.val.loss));
      return out;
    };
    const a = await go(3);
    expect(await go(3)).toEqual(a);
    expect(await go(4)).not.toEqual(a);
  });

  it('stops early after `patience` epochs without improvement and keeps the best weights', async () => {
    const epochs: EpochReport[] = [];
    const model = await trainHead(data, { ...baseConfig, head: 'text', learningRate: 0.05, epochs: 40, earlyStopping: { metric: 'loss', patience: 2 } }, (r) => void epochs.push(r));
    expect(epochs.length).toBeLessThan(40);
    const bestLoss = Math.min(...epochs.map((e) => e.val.loss));
    expect(epochs[model.bestEpoch - 1].val.loss).toBe(bestLoss);
    expect(epochs.length - model.bestEpoch).toBe(2);
    expect(model.epochsRun).toBe(epochs.length);
    expect(model.val.loss).toBeCloseTo(bestLoss, 5);
  });

  it('weights the loss by the recipe and tunes thresholds on validation', async () => {
    const model = await trainHead(data, { ...baseConfig, head: 'fcnn', lossWeighting: 'recipe', thresholds: 'tuned' }, () => {});
    expect(new Set(model.classWeights).size).toBeGreaterThan(1);
    expect(model.thresholds).toHaveLength(6);
    expect(model.thresholds.some((t) => t !== 0.5)).toBe(true);
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    const run = trainHead(data, { ...baseConfig, epochs: 50 }, (r) => {
      if (r.epoch === 1) controller.abort(new Error('cancelled by test'));
    }, controller.signal);
    await expect(run).rejects.toThrow('cancelled by test');
  });
});
