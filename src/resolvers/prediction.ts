import type { PredictionSet } from '../db/generated/client.js';
import { resolveRefs } from '../refs/input.js';
import type { Resolvers } from './__generated__/types.js';

// Resolvers return Prisma rows for PredictionSet (fields below fill in the rest); codegen has no
// mapper for it, hence the casts.
const row = (set: unknown) => set as PredictionSet;

export const predictionResolvers: Resolvers = {
  Query: {
    predict: (_, { model, inputs }, { services }) => services.predictions.predict(model, inputs),
    predictionSet: (_, { id }, { services }) => services.predictions.findSet(id) as never,
    predictionSets: (_, { datasetId, first, offset }, { services }) =>
      services.predictions.listSets({ datasetId: datasetId ?? undefined }, Math.min(200, Math.max(1, first ?? 20)), Math.max(0, offset ?? 0)) as never,
  },
  Mutation: {
    predictDataset: async (_, { model, datasetId, split }, { services, actor }) => services.predictions.predictDataset(await resolveRefs(services, { model, datasetId, split }), actor) as never,
  },
  PredictionSet: {
    model: (s, _, { services }) => services.predictions.setModel(row(s)),
    dataset: (s, _, { loaders }) => loaders.dataset.load(row(s).datasetId),
    job: (s, _, { services }) => (row(s).jobId ? services.jobs.get(row(s).jobId!).catch(() => null) : null),
    submissionUrl: (s) => (row(s).csvPath ? `/predictions/${row(s).id}/submission.csv` : null),
    predictions: (s, { first, offset }, { services }) => services.predictions.predictions(row(s).id, Math.min(500, Math.max(1, first ?? 50)), Math.max(0, offset ?? 0)),
  },
};
