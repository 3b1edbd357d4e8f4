import type { Resolvers } from './__generated__/types.js';

export const datasetResolvers: Resolvers = {
  Query: {
    datasets: (_, { name }, { services }) => services.datasets.list(name ?? undefined),
    // By id, `name` (latest version) or `name@version`; null when nothing matches.
    dataset: async (_, { id }, { loaders, services }) => {
      const found = await services.datasets.findRef(id);
      return found ? loaders.dataset.load(found) : null;
    },
  },
  Mutation: {
    importDataset: (_, { input }, { services }) => services.datasets.importDataset(input),
  },
  Dataset: {
    classes: async (d, _, { loaders }) => (await loaders.classes.load(d.id)).map((c) => ({ id: c.classId, index: c.index, name: c.name, count: c.count })),
    splitCounts: async (d, _, { services }) => {
      const c = await services.datasets.splitCounts(d.id);
      return { train: c.TRAIN, val: c.VAL, unlabelled: c.UNLABELLED };
    },
    samples: (d, { split, first, offset }, { services }) => services.datasets.samples(d.id, split ?? undefined, clamp(first, 500), Math.max(0, offset ?? 0)),
    rejectedCount: (d, _, { services }) => services.datasets.rejectionCount(d.id),
    rejected: (d, { first, offset }, { services }) => services.datasets.rejections(d.id, clamp(first, 1000), Math.max(0, offset ?? 0)),
  },
};

function clamp(n: number | null | undefined, max: number): number {
  return Math.min(max, Math.max(1, n ?? 50));
}
