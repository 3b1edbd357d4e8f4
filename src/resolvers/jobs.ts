import type { AppEvent } from '../events/bus.js';
import type { Resolvers } from './__generated__/types.js';

type JobEvent = Extract<AppEvent, { topic: 'job' }>;

export const jobResolvers: Resolvers = {
  Query: {
    jobs: (_, { status, kind, first, after }, { services }) =>
      services.jobs.list({ status: status ?? undefined, kind: kind ?? undefined }, Math.min(500, Math.max(1, first ?? 50)), after ?? undefined),
    job: (_, { id }, { services }) => services.jobs.get(id).catch(() => null),
  },
  Mutation: {
    cancelJob: (_, { id }, { services }) => services.jobs.cancel(id),
  },
  Subscription: {
    jobEvents: {
      subscribe: (_, { jobId }, { services }) => services.jobs.subscribe(jobId ?? undefined) as never,
      resolve: (e: JobEvent) => e,
    },
  },
  JobEvent: {
    job: (e, _, { services }) => services.jobs.get(e.jobId).catch(() => null),
  },
  Job: {
    run: (j, _, { loaders }) => (j.runId ? loaders.run.load(j.runId) : null),
    // An import names its dataset in the result (it creates it); an extraction, in its payload.
    dataset: (j, _, { loaders }) => {
      const id = (j.result as { datasetId?: string } | null)?.datasetId ?? (j.payload as { datasetId?: string } | null)?.datasetId;
      return id ? loaders.dataset.load(id) : null;
    },
  },
};
