import type { Client } from './repository.js';

/**
 * Data access for versions made from a run's artifact folder: the run, the Artifact rows under
 * the folder, the datasets and runs a model card names. Artifact rows are read here directly (an
 * uploaded file is a row with name = its path in the run, uri = `<runId>/<path>`, size and sha256).
 */

/** A run id in either spelling (MLflow's 32 hex digits, or the UUID) as the UUID tagfusion stores. */
export function runUuid(id: string): string {
  if (!/^[0-9a-f]{32}$/i.test(id)) return id;
  const h = id.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const runForFolder = (c: Client, runId: string) =>
  c.run.findUnique({ where: { id: runId }, select: { id: true, projectId: true, deletedAt: true, datasetId: true, summary: true } });

/**
 * The run's files under `folder` ('' for all), as paths relative to the folder. The database
 * narrows by prefix; the exact test is here, since LIKE would read `_` and `%` as wildcards.
 */
export async function artifactsUnder(c: Client, runId: string, folder: string) {
  const prefix = folder === '' ? '' : `${folder}/`;
  const rows = await c.artifact.findMany({ where: { runId, name: { startsWith: prefix } }, select: { id: true, name: true, uri: true, sizeBytes: true, checksum: true } });
  return new Map(rows.filter((r) => r.name.startsWith(prefix) && r.name.length > prefix.length).map((r) => [r.name.slice(prefix.length), r]));
}

export type FolderFile = NonNullable<ReturnType<Awaited<ReturnType<typeof artifactsUnder>>['get']>>;

/** Label ids of a dataset in model output order (classes sorted by id); null when it does not exist. */
export async function datasetLabelIds(c: Client, datasetId: string): Promise<number[] | null> {
  const dataset = await c.dataset.findUnique({ where: { id: datasetId }, select: { id: true } });
  if (!dataset) return null;
  const classes = await c.labelClass.findMany({ where: { datasetId }, select: { classId: true }, orderBy: { index: 'asc' } });
  return classes.map((k) => k.classId);
}

export const runSummary = async (c: Client, runId: string) => (await c.run.findUnique({ where: { id: runId }, select: { summary: true } }))?.summary;

/** The last value of every metric of a run, by split: the metrics frozen into a version. */
export async function lastMetrics(c: Client, runId: string): Promise<Record<string, Record<string, number>>> {
  const rows = await c.metricSummary.findMany({ where: { runId }, select: { name: true, split: true, lastValue: true } });
  const out: Record<string, Record<string, number>> = {};
  for (const r of rows) if (Number.isFinite(r.lastValue)) (out[r.split] ??= {})[r.name] = r.lastValue;
  return out;
}
