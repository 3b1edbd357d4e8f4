import { ENCODER_KINDS } from '../ml/encoders/registry.js';
import type { Resolvers } from './__generated__/types.js';

const STOP: Record<string, string> = { MICRO_F1: 'microF1', MACRO_F1: 'macroF1', SAMPLES_F1: 'samplesF1', LOSS: 'loss' };
const lower = <T extends string>(v: T | null | undefined) => (v == null ? undefined : v.toLowerCase());
const strip = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v != null));

export const trainingResolvers: Resolvers = {
  Query: {
    encoders: () => Object.entries(ENCODER_KINDS).map(([id, k]) => ({ id, modality: k.modality, fitted: k.fitted({ id }), needsWeights: k.needsWeights, description: k.description })),
  },
  Mutation: {
    extractFeatures: (_, { input }, { services }) => services.features.extractFeatures(input),
    startTraining: (_, { input }, { services }) =>
      // GraphQL enums are upper case; the service speaks the CLI's lower-case names.
      services.training.startTraining(
        strip({
          ...input,
          head: lower(input.head)?.replace('_', '-'),
          optimizer: lower(input.optimizer),
          lossWeighting: lower(input.lossWeighting),
          thresholds: lower(input.thresholds),
          earlyStopping: input.earlyStopping && strip({ ...input.earlyStopping, metric: input.earlyStopping.metric ? STOP[input.earlyStopping.metric] : undefined }),
          augmentation: input.augmentation && strip(input.augmentation),
        }),
      ),
  },
  Dataset: {
    featureSets: (d, _, { loaders }) => loaders.featureSets.load(d.id),
  },
  Run: {
    summary: (r) => r.summary ?? null,
  },
};
