import type { RunComparison } from '../runs/compare.js';
import { resolveRunRefs } from '../refs/input.js';
import type { Resolvers } from './__generated__/types.js';

// The parent of RunComparison's fields is the service's RunComparison object, whose class F1
// and curves are methods (loaded only when selected), not the plain shape codegen assumes.
const comparison = (parent: unknown) => parent as RunComparison;

export const compareResolvers: Resolvers = {
  Query: {
    compareRuns: async (_, { ids, summary, metric }, { services }) => services.comparisons.compare(await resolveRunRefs(services, ids), summary ?? 'BEST', metric ?? undefined) as never,
    leaderboard: async (_, { datasetId, metric, filter, first }, { services }) => services.comparisons.leaderboard(await services.datasets.resolveRef(datasetId), metric, filter ?? {}, first ?? 20),
  },
  RunComparison: {
    classIds: async (c, { split }) => (await comparison(c).classF1(split)).classIds,
    classF1: async (c, { split }) => (await comparison(c).classF1(split)).f1,
    curves: (c, { names, split }) => comparison(c).curves(names, split),
  },
};
