import { describe, expect, it } from 'vitest';
import { TRAINING_HEADS } from '../../src/ml/heads/kinds.js';
import { HEAD_DEFAULTS } from '../../src/training/defaults.js';
import { parseTrainingInput } from '../../src/training/input.js';

const parse = (raw: Record<string, unknown>) => parseTrainingInput({ datasetId: 'd', ...raw });
const settings = (raw: Record<string, unknown>) => {
  const p = parse(raw);
  return { learningRate: p.learningRate, batchSize: p.batchSize, epochs: p.epochs, optimizer: p.optimizer, weightDecay: p.weightDecay, dropout: p.dropout };
};
const RECIPE = { learningRate: 0.003, batchSize: 128, epochs: 25, optimizer: 'adam', weightDecay: 0.01, dropout: 0 };

describe('per-head training defaults', () => {
  it('give the heads on features the documented best recipe (Adam 3e-3, batch 128, 25 epochs)', () => {
    for (const head of ['vision', 'text', 'fm1', 'fcnn', 'fm2']) expect([head, settings({ head })]).toEqual([head, RECIPE]);
  });

  it('differ where the head needs it: cross-attention regularised, BERT fine-tuning short', () => {
    expect(settings({ head: 'xattn' })).toEqual({ ...RECIPE, dropout: 0.3, optimizer: 'adamw', weightDecay: 0.05 });
    expect(settings({ head: 'fm3' })).toEqual({ ...RECIPE, dropout: 0.3, optimizer: 'adamw', weightDecay: 0.05 });
    expect(settings({ head: 'text-finetune' })).toEqual({ learningRate: 0.001, batchSize: 64, epochs: 3, optimizer: 'adam', weightDecay: 0.01, dropout: 0 });
    // GraphQL's spelling of a head takes the same defaults.
    expect(settings({ head: 'TEXT_FINETUNE' }).epochs).toBe(3);
    expect(Object.keys(HEAD_DEFAULTS).sort()).toEqual([...TRAINING_HEADS].sort());
  });

  it('never override what the caller gave, and leave an unknown head to the schema', () => {
    expect(settings({ head: 'vision', learningRate: 0.01, batchSize: 64, epochs: 5, dropout: 0.1, optimizer: 'adamw', weightDecay: 0.2 })).toEqual({
      learningRate: 0.01,
      batchSize: 64,
      epochs: 5,
      dropout: 0.1,
      optimizer: 'adamw',
      weightDecay: 0.2,
    });
    expect(parse({ head: 'vision' }).earlyStopping).toBeUndefined();
    expect(() => parse({ head: 'nonsense' })).toThrow(expect.objectContaining({ code: 'BAD_INPUT', details: { field: 'head' } }));
  });

  it('apply to what `tagfusion train --head vision` sends with no flags (absent options are undefined)', () => {
    expect(settings({ head: 'vision', learningRate: undefined, batchSize: undefined, epochs: undefined, optimizer: undefined, dropout: undefined })).toEqual(RECIPE);
  });
});
