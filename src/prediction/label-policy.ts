import { assignLabels } from '../ml/labels.js';
import type { PredictorPlan } from './plan.js';

/**
 * Labels by the plan's policy: each probability above its class's threshold, and, unless an
 * external model's card turns it off, the best label for a sample with none (the recipe's rule).
 */
export function planLabels(plan: PredictorPlan, probs: Float32Array, n: number): Uint8Array {
  const c = plan.classIds.length;
  if (plan.atLeastOne !== false) return assignLabels(probs, n, c, plan.thresholds);
  const out = new Uint8Array(n * c);
  for (let k = 0; k < n * c; k++) out[k] = probs[k] > plan.thresholds[k % c] ? 1 : 0;
  return out;
}
