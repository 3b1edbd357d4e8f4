import DataLoader from 'dataloader';
import type { Services } from '../app.js';
import type { Run } from '../db/generated/client.js';

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
    summaries: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.runs.summaries(ids), (r) => r.runId)),
    epochMetrics: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.runs.epochMetrics(ids), (r) => r.runId)),
    classMetrics: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.runs.classMetrics(ids), (r) => r.runId)),
    featureSets: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.features.list(ids), (r) => r.datasetId)),
    // keyed by the run row itself (resolvers have it), cached by id
    experimentProgress: new DataLoader(async (runs: readonly Run[]) => s.experiments.progress(runs), { cacheKeyFn: (r) => r.id }),
    artifacts: new DataLoader(async (ids: readonly string[]) => groupBy(ids, await s.runs.artifacts(ids), (r) => r.runId)),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
