import type { Run } from '../db/generated/client.js';
import type { AblationInput } from './input.js';
import { outcomeOf, type ExperimentOutcome } from './outcome.js';
import { ABLATION_CONFIGS, type Trial } from './plan.js';
import type { TrialRunner } from './trials.js';

const OBJECTIVE = { metric: 'microF1', split: 'val' };

const trial = (input: AblationInput, key: string, label: string, fields: Record<string, unknown>): Trial => ({
  key,
  name: label,
  input: { ...input.base, datasetId: input.datasetId, name: label, ...fields },
});

/**
 * The configurations an ablation makes. The stack fuses finished runs only (there is no joint
 * stack) and refits its components on folds, which a fine-tuned BERT is too slow for: it needs
 * logits fusion and a text head on features.
 */
export function ablationConfigs(input: AblationInput) {
  return ABLATION_CONFIGS.filter((c) => c.head !== 'stack' || (input.fusion === 'logits' && input.textHead === 'text'));
}

/** The trials trained first: every configuration, or (logit fusion) the four that fusions average. */
export function ablationFirstStage(input: AblationInput): Trial[] {
  return ablationConfigs(input).filter((c) => input.fusion === 'joint' || !('components' in c)).map((c) => trial(input, c.key, c.label, { head: c.key === 'text' ? input.textHead : c.head }));
}

/**
 * The paper's Table 5 on shared encoders and split: vision, text, +FCNN and +cross-attention
 * are trained, then FM1, FM2 and FM3 average their logits (or, with `joint`, train as one model)
 * and the stack weighs FM2's runs per class.
 */
export async function runAblation(t: TrialRunner, input: AblationInput): Promise<ExperimentOutcome> {
  const first = await t.runAll(ablationFirstStage(input), input.parallelism);
  const all = new Map<string, Run>(first);
  if (input.fusion === 'logits') {
    const fusions = ablationConfigs(input).flatMap((c) => {
      if (!('components' in c)) return [];
      const parts = c.components.map((k) => first.get(k)!);
      // A fusion whose component failed cannot be made; the table shows it as missing.
      if (parts.some((r) => r.status !== 'SUCCEEDED')) return [];
      return [trial(input, c.key, c.label, { head: c.head, componentRunIds: parts.map((r) => r.id) })];
    });
    for (const [k, r] of await t.runAll(fusions, input.parallelism)) all.set(k, r);
  }
  return outcomeOf(all, OBJECTIVE, false, ablationConfigs(input).length);
}
