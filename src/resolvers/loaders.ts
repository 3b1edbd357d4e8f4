import DataLoader from 'dataloader';
import type { Services } from '../app.js';
import type { Run } from '../db/generated/client.js';
import type { MetricFilter } from '../runs/repository.js';

/** Groups rows by a key, in the order the keys were asked for (DataLoader's contract). */
function groupBy<T, K>(keys: readonly K[], rows: T[], keyOf: (row: T) => K): T[][] {
  const map = new Map<K, T[]>();
  for (const row of rows) {
    const k = keyOf(row);
    if (!map.has(k)) map.set(k, []);
    map.get(k)!.push(row);
  }
  return keys.map((k) => map.get(k) ?? []);
}

/**
 * A loader of per-run rows narrowed by a filter (metric names, split, epoch): the database returns
 * only the rows asked for (a run logging 1,000 metrics must not load them all for a page showing
 * two). Runs asked for with the same filter share one query.
 */
function filteredLoader<F, T extends { runId: string }>(load: (ids: readonly string[], filter: F) => Promise<T[]>) {
  return new DataLoader(
    async (keys: readonly { runId: string; filter: F }[]) => {
      const byFilter = new Map<string, { filter: F; ids: string[] }>();
      for (const k of keys) {
        const f = JSON.stringify(k.filter);
        if (!byFilter.has(f)) byFilter.set(f, { filter: k.filter, ids: [] });
        byFilter.get(f)!.ids.push(k.runId);
      }
      const rows = new Map<string, T[]>();
      await Promise.all(
        [...byFilter].map(async ([f, { filter, ids }]) => groupBy(ids, await load(ids, filter), (r) => r.runId).forEach((g, i) => rows.set(`${ids[i]} ${f}`, g))),
      );
      return keys.map((k) => rows.get(`${k.runId} ${JSON.stringify(k.filter)}`) ?? []);
    },
    { cacheKeyFn: (k) => `${k.runId} ${JSON.stringify(k.filter)}` },
  );
}

/**
 * Per-request batch loaders: a page of 50 runs asking for their params costs one query, not 50.
 */
export function createLoaders(s: Services) {
  return {
    run: new DataLoader(async (ids: readonly string[]) => {
      const rows = new Map((await s.runs.byIds(ids)).map((r) => [r.id, r]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
    dataset: new DataLoader(async (ids: readonly string[]) => Promise.all(ids.map((id) => s.datasets.find(id)))),
    classes: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.datasets.classes(ids), (r) => r.datasetId)),
    params: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.runs.params(ids), (r) => r.runId)),
    children: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.runs.children(ids), (r) => r.parentId!)),
    summaries: filteredLoader((ids, f: MetricFilter) => s.runs.summaries(ids, f)),
    epochMetrics: filteredLoader((ids, f: MetricFilter) => s.runs.epochMetrics(ids, f)),
    classMetrics: filteredLoader((ids, f: MetricFilter) => s.runs.classMetrics(ids, f)),
    featureSets: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.features.list(ids), (r) => r.datasetId)),
    // keyed by the run row itself (resolvers have it), cached by id
    experimentProgress: new DataLoader(async (runs: readonly Run[]) => s.experiments.progress(runs), { cacheKeyFn: (r) => r.id }),
    artifacts: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.runs.artifacts(ids), (r) => r.runId)),
    tags: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.tracking.tags(ids), (r) => r.runId)),
    project: new DataLoader(async (ids: readonly number[]) => {
      const rows = new Map((await s.projects.byIds(ids)).map((p) => [p.id, p]));
      return ids.map((id) => rows.get(id) ?? null);
    }),
    projectRunCount: new DataLoader(async (ids: readonly number[]) => {
      const counts = await s.projects.runCounts(ids);
      return ids.map((id) => counts.get(id) ?? 0);
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
