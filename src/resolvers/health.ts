import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { version } from '../version.js';
import type { Resolvers } from './__generated__/types.js';

export const healthResolvers: Resolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
  Query: {
    health: async (_, __, ctx) => {
      const [queued, running] = await Promise.all([
        ctx.services.jobs.count('QUEUED'),
        ctx.services.jobs.count('RUNNING'),
      ]);
      return { status: 'ok', version, database: ctx.databaseKind, queuedJobs: queued, runningJobs: running, worksJobs: ctx.worksJobs };
    },
  },
};
