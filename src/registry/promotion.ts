import { z } from 'zod';
import { aliasName } from './input.js';

/**
 * A model's promotion rule: moving an alias (one, or any) needs the candidate's `metric` on
 * `split` to compare well with the version holding `againstAlias` (the champion, say), or with a
 * fixed `threshold`. Stored as JSON on the model and checked inside the move's transaction, with
 * the model row locked, so the champion cannot change between the check and the move.
 */
export const promotionRuleSchema = z
  .object({
    alias: aliasName.nullish(),
    metric: z.string().min(1, 'must not be empty').max(100),
    split: z.string().min(1).max(50).nullish(),
    comparison: z.enum(['GTE', 'GT', 'LTE', 'LT'], { message: 'must be GTE, GT, LTE or LT' }),
    againstAlias: aliasName.nullish(),
    threshold: z.number().finite().nullish(),
  })
  .refine((r) => (r.againstAlias == null) !== (r.threshold == null), { message: 'give exactly one of againstAlias and threshold', path: ['againstAlias'] })
  .transform((r) => ({
    alias: r.alias ?? null,
    metric: r.metric,
    split: r.split ?? 'val',
    comparison: r.comparison,
    againstAlias: r.againstAlias ?? null,
    threshold: r.threshold ?? null,
  }));

export type PromotionRule = z.infer<typeof promotionRuleSchema>;

/** Metrics of a version as snapshotted at registration: split → metric → value. */
export type MetricSnapshot = Record<string, Record<string, number>>;

export interface Candidate {
  version: number;
  metrics: MetricSnapshot;
}

const SYMBOL = { GTE: '≥', GT: '>', LTE: '≤', LT: '<' } as const;
const HOLDS = {
  GTE: (a: number, b: number) => a >= b,
  GT: (a: number, b: number) => a > b,
  LTE: (a: number, b: number) => a <= b,
  LT: (a: number, b: number) => a < b,
};

/** The rule stored on a model, or null when none (or an unreadable one) is stored. */
export function storedRule(json: unknown): PromotionRule | null {
  if (json == null) return null;
  const parsed = promotionRuleSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export const ruleGuards = (rule: PromotionRule, alias: string) => rule.alias === null || rule.alias === alias;

const metricOf = (m: MetricSnapshot, split: string, name: string) => {
  const v = m?.[split]?.[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(4));

/**
 * Why moving an alias to `candidate` breaks the rule, or null when it may move. `reference` is
 * the version holding `rule.againstAlias` (null when that alias is unset: nothing to beat yet).
 */
export function promotionRefusal(rule: PromotionRule, candidate: Candidate, reference: Candidate | null): string | null {
  const name = `${rule.split} ${rule.metric}`;
  const value = metricOf(candidate.metrics, rule.split, rule.metric);
  if (value === undefined) return `version ${candidate.version} has no ${name} metric`;
  let bound: number;
  let boundText: string;
  if (rule.threshold !== null) {
    bound = rule.threshold;
    boundText = String(bound); // as the rule's author wrote it
  } else {
    if (!reference) return null;
    const ref = metricOf(reference.metrics, rule.split, rule.metric);
    if (ref === undefined) return `version ${reference.version} (${rule.againstAlias}) has no ${name} metric to compare with`;
    bound = ref;
    boundText = `${fmt(ref)}, the ${name} of version ${reference.version} (${rule.againstAlias})`;
  }
  if (HOLDS[rule.comparison](value, bound)) return null;
  return `${name} of version ${candidate.version} is ${fmt(value)} and must be ${SYMBOL[rule.comparison]} ${boundText}`;
}
