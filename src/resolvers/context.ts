import type { Services } from '../app.js';
import type { AppError } from '../errors.js';
import type { Actor } from '../registry/actor.js';
import type { Loaders } from './loaders.js';

/** What every resolver receives: the services, per-request batch loaders, and ids for logs. */
export interface GraphQLContext {
  services: Services;
  loaders: Loaders;
  requestId: string;
  worksJobs: boolean;
  databaseKind: string;
  /** who is calling: the token's name and role, or the local admin in open mode (src/auth) */
  actor: Actor;
  /** set when the request has no valid token (required mode): every field but `health` throws it */
  unauthenticated?: AppError;
}
