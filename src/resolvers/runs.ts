import type { AppEvent } from '../events/bus.js';
import { errors } from '../errors.js';
import { projectId as projectIdInput } from '../projects/input.js';
import { statusInput } from '../runs/input.js';
import { parseInput } from '../util/input.js';
import type { Resolvers } from './__generated__/types.js';

type RunEvent = Extract<AppEvent, { topic: 'run' }>;

/** Cursors are opaque to clients; inside they are offsets ("o:120"), below 10⁹ (a Postgres int). */
const encodeCursor = (offset: number) => Buffer.from(`o:${offset}`).toString('base64url');
function decodeCursor(cursor: string | null | undefined): number {
  if (!cursor) return 0;
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw errors.badInput('after is not a cursor returned by runs', { field: 'after' });
  return Number(m[1]);
}

export const runResolvers: Resolvers = {
  Query: {
    runs: async (_, { filter, orderBy, first, after }, { services }) => {
      const offset = decodeCursor(after);
      const { projectId, ...rest } = filter ?? {};
      const projectIds = projectId == null ? null : [parseInput(projectIdInput, projectId)];
      const datasetId = rest.datasetId == null ? rest.datasetId : await services.datasets.resolveRef(rest.datasetId);
      const page = await services.runs.list({ ...rest, datasetId, projectIds }, orderBy ?? null, first ?? 50, offset);
      const edges = page.runs.map((node, i) => ({ cursor: encodeCursor(offset + i + 1), node }));
      return {
        edges,
        nodes: page.runs,
        pageInfo: { hasNextPage: page.hasMore, endCursor: edges.at(-1)?.cursor ?? null },
        totalCount: page.totalCount,
      } as never;
    },
    run: (_, { id }, { loaders }) => loaders.run.load(id),
  },
  RunConnection: {
    totalCount: (c) => (c as unknown as { totalCount: () => Promise<number> }).totalCount(),
  },
  Mutation: {
    createRun: (_, { input }, { services, actor }) =>
      services.runs.create({ ...input, tags: input.tags ? Object.fromEntries(input.tags.map((t) => [t.key, t.value])) : undefined, createdBy: actor.name } as never),
    setRunTags: (_, { id, tags }, { services }) => services.tracking.setTags(id, tags),
    deleteRunTag: (_, { id, key }, { services }) => services.tracking.deleteTag(id, key),
    setRunNote: (_, { id, note }, { services }) => services.tracking.setNote(id, note),
    logParams: (_, { id, params }, { services }) => services.tracking.logParams(id, params),
    logMetricPoints: (_, { id, points }, { services }) =>
      services.tracking.logPoints(id, points.map((p) => ({ name: p.name, split: p.split ?? '', step: p.step, timestamp: p.timestamp ?? Date.now(), value: p.value }))),
    deleteRun: (_, { id }, { services }) => services.tracking.delete(id),
    restoreRun: (_, { id }, { services }) => services.tracking.restore(id),
    logMetrics: (_, { input }, { services }) => services.runs.recordEpoch(input.runId, input.epoch, input.metrics, input.classMetrics ?? [], { fromClient: true }),
    setRunStatus: (_, { id, status, error }, { services }) => services.runs.setStatus(id, status, { error: parseInput(statusInput, { id, error }).error }),
    reopenRun: (_, { id, reason }, { services, actor }) => services.runs.reopen(actor, id, reason),
  },
  Subscription: {
    runEvents: {
      subscribe: (_, { runId }, { services }) => services.runs.subscribe(runId) as never,
      resolve: (e: RunEvent) => ({ ...e, metrics: e.metrics?.map((m) => ({ ...m, epoch: e.epoch ?? 0, step: e.epoch ?? 0, timestamp: null })) }),
    },
  },
  Run: {
    project: (r, _, { loaders }) => loaders.project.load(r.projectId) as never,
    tags: async (r, _, { loaders }) => (await loaders.tags.load(r.id)).map((t) => ({ key: t.key, value: t.value })),
    durationMs: (r) => (r.startedAt ? (r.finishedAt ?? new Date()).getTime() - r.startedAt.getTime() : null),
    dataset: (r, _, { loaders }) => (r.datasetId ? loaders.dataset.load(r.datasetId) : null),
    parent: (r, _, { loaders }) => (r.parentId ? loaders.run.load(r.parentId) : null),
    children: (r, _, { loaders }) => loaders.children.load(r.id),
    params: async (r, _, { loaders }) => (await loaders.params.load(r.id)).map((p) => ({ key: p.key, value: p.valueText, number: p.valueNum })),
    summaries: async (r, { names, split }, { loaders }) =>
      (await loaders.summaries.load({ runId: r.id, filter: { names, split } })).map((s) => ({
        name: s.name,
        split: s.split,
        last: s.lastValue,
        lastEpoch: s.lastEpoch,
        min: s.minValue,
        minEpoch: s.minEpoch,
        max: s.maxValue,
        maxEpoch: s.maxEpoch,
      })),
    epochMetrics: async (r, { name, split }, { loaders }) =>
      (await loaders.epochMetrics.load({ runId: r.id, filter: { names: name == null ? null : [name], split } })).map((m) => ({
        ...m,
        step: m.epoch,
        timestamp: Number(m.timestamp),
        value: Number.isFinite(m.value) ? m.value : null,
      })),
    classMetrics: async (r, { split, epoch }, { loaders }) =>
      loaders.classMetrics.load({ runId: r.id, filter: { split, epoch } }),
    artifacts: async (r, _, { loaders }) => (await loaders.artifacts.load(r.id)).map((a) => ({ ...a, sizeBytes: Number(a.sizeBytes) })),
  },
};
