import type { Run } from '../db/generated/client.js';
import { metricKey } from '../mlflow/metric-key.js';
import type { StoredPoint } from '../runs/points.js';
import type { Row } from './format.js';
import type { PointRow } from './repository.js';

/**
 * The shape of exported rows. A run is one row: its own columns, then `params.<key>`,
 * `metrics.<key>` (each metric's latest value, its key as MLflow spells it: `val/f1`) and
 * `tags.<key>`, as MLflow's `search_runs` data frame names them, so a notebook reads both alike.
 */
export const RUN_COLUMNS = ['id', 'name', 'projectId', 'project', 'status', 'kind', 'parentId', 'createdAt', 'startedAt', 'finishedAt', 'createdBy', 'deletedAt'] as const;

/** A metric point per row; `key` is MLflow's flat key, `name` and `split` tagfusion's pair. */
export const POINT_COLUMNS = ['run_id', 'key', 'name', 'split', 'step', 'timestamp', 'value'] as const;

/** The CSV header of a runs export: the run columns, then every key any selected run has, sorted. */
export function runColumns(keys: { params: string[]; tags: string[]; metrics: { name: string; split: string }[] }): string[] {
  const metrics = keys.metrics.map((m) => metricKey(m.name, m.split)).sort();
  return [...RUN_COLUMNS, ...keys.params.map((k) => `params.${k}`), ...metrics.map((k) => `metrics.${k}`), ...keys.tags.map((k) => `tags.${k}`)];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** What a runs page knows about one run. */
export interface RunDetails {
  run: Run & { project: { name: string } };
  params: { key: string; valueText: string }[];
  latest: StoredPoint[];
  tags: { key: string; value: string }[];
}

export function runRow({ run, params, latest, tags }: RunDetails): Row {
  const row: Row = {
    id: run.id,
    name: run.name,
    projectId: run.projectId,
    project: run.project.name,
    status: run.status,
    kind: run.kind,
    parentId: run.parentId,
    createdAt: iso(run.createdAt),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    createdBy: run.createdBy,
    deletedAt: iso(run.deletedAt),
  };
  // Params stay text as logged (`0.10` is not `0.1`); metric values are numbers.
  for (const p of params) row[`params.${p.key}`] = p.valueText;
  for (const m of [...latest].sort((a, b) => metricKey(a.name, a.split).localeCompare(metricKey(b.name, b.split)))) row[`metrics.${metricKey(m.name, m.split)}`] = m.value;
  for (const t of tags) row[`tags.${t.key}`] = t.value;
  return row;
}

export function pointRow(p: PointRow): Row {
  return { run_id: p.runId, key: metricKey(p.name, p.split), name: p.name, split: p.split, step: p.epoch, timestamp: Number(p.timestamp), value: p.value };
}
