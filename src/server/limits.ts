import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { ValidationRule } from 'graphql';

/**
 * Query limits, checked before execution on HTTP and WebSocket alike. MLflow's /graphql had a
 * denial-of-service CVE for lacking them: a few nested or aliased fields can multiply work.
 * Depth 10 fits run → children → params with room; 2 000 cost points fit a 50-run page with its
 * params, summaries and class metrics.
 */
export const QUERY_LIMITS = { maxDepth: 10, maxAliases: 15, maxCost: 2000 } as const;

export function limitRules(): ValidationRule[] {
  return [
    maxDepthRule({ n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, exposeLimits: true, flattenFragments: true }),
    maxAliasesRule({ n: QUERY_LIMITS.maxAliases, exposeLimits: true }),
    costLimitRule({ maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true, exposeLimits: true, flattenFragments: true }),
  ] as ValidationRule[];
}
