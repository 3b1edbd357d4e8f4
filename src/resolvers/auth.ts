import type { ApiTokenInfo } from '../auth/service.js';
import type { Role } from '../registry/actor.js';
import type { ApiRole, Resolvers } from './__generated__/types.js';

const toGraphQL = (role: Role) => role.toUpperCase() as ApiRole;
const fromGraphQL = (role: ApiRole) => role.toLowerCase() as Role;
const token = (t: ApiTokenInfo) => ({ ...t, role: toGraphQL(t.role) });

export const authResolvers: Resolvers = {
  Query: {
    me: (_, __, ctx) => ({ name: ctx.actor.name, role: toGraphQL(ctx.actor.role) }),
    apiTokens: async (_, __, ctx) => (await ctx.services.auth.list(ctx.actor)).map(token),
  },
  Mutation: {
    createApiToken: async (_, { name, role }, ctx) => {
      const created = await ctx.services.auth.create(ctx.actor, { name, role: fromGraphQL(role) });
      return { token: token(created.token), secret: created.secret };
    },
    revokeApiToken: async (_, { id }, ctx) => token(await ctx.services.auth.revoke(ctx.actor, id)),
  },
};
