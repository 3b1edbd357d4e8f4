import type { Services } from '../app.js';
import type { Actor } from '../registry/actor.js';
import type { Loaders } from './loaders.js';

/** What every resolver receives: the services, per-request batch loaders, and ids for logs. */
export interface GraphQLContext {
  services: Services;
  loaders: Loaders;
  requestId: string;
  worksJobs: boolean;
  databaseKind: string;
  /** who is calling (until authentication exists: the local admin, see src/registry/actor.ts) */
  actor: Actor;
}
