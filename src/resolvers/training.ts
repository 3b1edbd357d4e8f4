import { ENCODER_KINDS } from '../ml/encoders/registry.js';
import { resolveRefs } from '../refs/input.js';
import { normaliseTrainingNames } from '../training/input.js';
import type { Resolvers } from './__generated__/types.js';

const strip = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v != null));

export const trainingResolvers: Resolvers = {
  Query: {
    encoders: () => Object.entries(ENCODER_KINDS).map(([id, k]) => ({ id, modality: k.modality, fitted: k.fitted({ id }), needsWeights: k.needsWeights, description: k.description })),
  },
  Mutation: {
    extractFeatures: async (_, { input }, { services }) =>
      services.features.extractFeatures(await resolveRefs(services, { ...input, encoder: { ...input.encoder, options: input.encoder.options as Record<string, unknown> | null } })),
    startTraining: async (_, { input: { projectId, ...refs } }, { services }) => {
      const input = await resolveRefs(services, refs);
      // GraphQL enums are upper case; the service speaks the CLI's lower-case names.
      return services.training.startTraining(
        normaliseTrainingNames(strip({ ...input, earlyStopping: input.earlyStopping && strip(input.earlyStopping), augmentation: input.augmentation && strip(input.augmentation) })),
        { projectId },
      );
    },
  },
  Dataset: {
    featureSets: (d, _, { loaders }) => loaders.featureSets.load(d.id),
  },
  Run: {
    summary: (r) => r.summary ?? null,
  },
};
