import type { Resolvers } from './__generated__/types.js';

/** A run's artifact files as a folder listing (src/artifacts). */
export const artifactResolvers: Resolvers = {
  Run: {
    artifactFiles: (r, { path }, { services }) => services.artifacts.list(r.id, path ?? ''),
  },
};
