import type { Project } from '../db/generated/client.js';
import { errors } from '../errors.js';
import type { Resolvers } from './__generated__/types.js';

/** Keyset cursors: a page starts after the last project id the previous one returned. */
const encodeCursor = (id: number) => Buffer.from(`p:${id}`).toString('base64url');
function decodeCursor(cursor: string | null | undefined): number | null {
  if (!cursor) return null;
  const m = /^p:(\d{1,10})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw errors.badInput('after is not a cursor returned by projects', { field: 'after' });
  return Number(m[1]);
}

const tagList = (tags: unknown) => Object.entries((tags ?? {}) as Record<string, string>).map(([key, value]) => ({ key, value }));
const tagRecord = (tags: { key: string; value: string }[] | null | undefined) => (tags ? Object.fromEntries(tags.map((t) => [t.key, t.value])) : undefined);

export const projectResolvers: Resolvers = {
  Query: {
    projects: async (_, { filter, first, after }, { services }) => {
      const page = await services.projects.list({ lifecycle: filter?.lifecycle ?? 'ACTIVE', search: filter?.search }, first ?? 100, decodeCursor(after));
      const edges = page.projects.map((node) => ({ cursor: encodeCursor(node.id), node }));
      return { edges, nodes: page.projects, pageInfo: { hasNextPage: page.hasMore, endCursor: edges.at(-1)?.cursor ?? null } } as never;
    },
    project: async (_, { id, name }, { services }) => {
      if ((id == null) === (name == null)) throw errors.badInput('Give exactly one of id and name.', { field: id == null ? 'id' : 'name' });
      return (id != null ? services.projects.get(id) : services.projects.getByName(name)).catch((err) => {
        if ((err as { code?: string }).code === 'PROJECT_NOT_FOUND') return null;
        throw err;
      }) as never;
    },
  },
  Mutation: {
    createProject: (_, { input }, { services }) => services.projects.create({ ...input, tags: tagRecord(input.tags) }) as never,
    updateProject: (_, { input }, { services }) => services.projects.update(input) as never,
    setProjectTag: (_, { id, key, value }, { services }) => services.projects.setTag(id, key, value ?? null) as never,
    deleteProject: (_, { id }, { services }) => services.projects.delete(id) as never,
    restoreProject: (_, { id }, { services }) => services.projects.restore(id) as never,
  },
  Project: {
    id: (p) => String((p as unknown as Project).id),
    tags: (p) => tagList((p as unknown as Project).tags),
    runCount: (p, _, { loaders }) => loaders.projectRunCount.load((p as unknown as Project).id),
  },
};
