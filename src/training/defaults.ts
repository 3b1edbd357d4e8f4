import type { TrainingHead } from '../ml/heads/kinds.js';

/** The settings that depend on the head; every other field has one default for all heads. */
export interface HeadDefaults {
  learningRate: number;
  batchSize: number;
  epochs: number;
  optimizer: 'adam' | 'adamw';
  weightDecay: number;
  dropout: number;
}

/**
 * The recipe of docs/BENCHMARKS.md's accuracy table (bench/accuracy.ts), which gave the best
 * documented single run of each head on the sample (vision 0.799, text 0.806): Adam at 3e-3 in
 * batches of 128 for 25 epochs. At 20 epochs, lr 1e-3 in batches of 64 left the heads
 * under-trained (vision 0.777; the sweep table). Early stopping stays off by default: training
 * keeps the best epoch's weights either way, and stopping only saves time.
 */
const RECIPE: HeadDefaults = { learningRate: 3e-3, batchSize: 128, epochs: 25, optimizer: 'adam', weightDecay: 0.01, dropout: 0 };

/** The cross-attention FCNN overfits without dropout and decoupled decay (its table row). */
const CROSS_ATTENTION: HeadDefaults = { ...RECIPE, dropout: 0.3, optimizer: 'adamw', weightDecay: 0.05 };

/**
 * Per-head defaults: what a training input that leaves a field out gets. BERT fine-tuning runs
 * three epochs at 1e-3 in batches of 64 (its table row: minutes per epoch on a CPU).
 */
export const HEAD_DEFAULTS: Record<TrainingHead, HeadDefaults> = {
  vision: RECIPE,
  text: RECIPE,
  fm1: RECIPE,
  fcnn: RECIPE,
  fm2: RECIPE,
  xattn: CROSS_ATTENTION,
  fm3: CROSS_ATTENTION,
  'text-finetune': { learningRate: 1e-3, batchSize: 64, epochs: 3, optimizer: 'adam', weightDecay: 0.01, dropout: 0 },
  // Fusions of finished runs train no head of their own (a stack refits its runs' own settings).
  stack: RECIPE,
  ensemble: RECIPE,
};

/** The raw training input with its head's defaults where a field is absent; an unknown head is left for the schema to refuse. */
export function withHeadDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const defaults = HEAD_DEFAULTS[raw.head as TrainingHead] as HeadDefaults | undefined;
  if (!defaults) return raw;
  const out: Record<string, unknown> = { ...raw };
  for (const [key, value] of Object.entries(defaults)) if (out[key] == null) out[key] = value;
  return out;
}
