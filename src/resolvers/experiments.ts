import type { AppEvent } from '../events/bus.js';
import { resolveRefs } from '../refs/input.js';
import { normaliseTrainingNames } from '../training/input.js';
import type { Resolvers } from './__generated__/types.js';

type ExperimentEvent = Extract<AppEvent, { topic: 'experiment' }>;

/** Drops nulls (GraphQL's "not given") so the services' defaults apply. */
const strip = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v != null));
const lower = (v: string | null | undefined) => (v == null ? undefined : v.toLowerCase());
const headName = (v: string | null | undefined) => (v == null ? undefined : String(normaliseTrainingNames({ head: v }).head));

export const experimentResolvers: Resolvers = {
  Mutation: {
    // The project is where the runs go, kept apart from the input that the run's config stores.
    startSweep: async (_, { input: { projectId, ...refs } }, { services }) => {
      const input = await resolveRefs(services, refs);
      return services.experiments.startSweep(
        strip({ ...input, strategy: lower(input.strategy), space: input.space.map((p) => strip(p)), objective: input.objective && strip(input.objective), earlyTermination: input.earlyTermination && strip(input.earlyTermination) }),
        { projectId },
      );
    },
    startModelComparison: async (_, { input: { projectId, ...refs } }, { services }) => {
      const input = await resolveRefs(services, refs);
      return services.experiments.startModelComparison(strip({ ...input, head: headName(input.head), encoders: input.encoders.map((e) => strip(e)) }), { projectId });
    },
    startAblation: async (_, { input: { projectId, ...refs } }, { services }) => {
      const input = await resolveRefs(services, refs);
      return services.experiments.startAblation(strip({ ...input, fusion: lower(input.fusion), textHead: headName(input.textHead) }), { projectId });
    },
    startPseudoLabeling: async (_, { input: { projectId, ...refs } }, { services }) => {
      const input = await resolveRefs(services, refs);
      return services.experiments.startPseudoLabeling(strip({ ...input, objective: input.objective && strip(input.objective) }), { projectId });
    },
    cancelExperiment: (_, { id }, { services }) => services.experiments.cancel(id),
  },
  Subscription: {
    experimentEvents: {
      subscribe: (_, { runId }, { services }) => services.experiments.subscribe(runId) as never,
      resolve: (e: ExperimentEvent) => e,
    },
  },
  Run: {
    experiment: (r, _, { loaders }) => loaders.experimentProgress.load(r) as never,
    table: (r, { format }, { services }) => services.experiments.table(r, format ?? 'MARKDOWN'),
  },
  ExperimentBest: {
    run: (b, _, { loaders }) => loaders.run.load(b.runId) as never,
  },
};
