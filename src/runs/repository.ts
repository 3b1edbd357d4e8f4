import type { PrismaClient, Run } from '../db/generated/client.js';
import { Prisma } from '../db/generated/client.js';
import { MERGE_SUMMARY } from './summary-sql.js';
import type { RunStatus } from '../db/generated/enums.js';
import { OPEN_STATUSES, statusTimes } from './lifecycle.js';
import { encodeParam, type ParamValue } from './params.js';
import { orderClause, whereClause, type RunFilter, type RunOrder } from './query.js';

export interface NewRun {
  kind: string;
  name?: string | null;
  datasetId?: string | null;
  parentId?: string | null;
  config?: Prisma.InputJsonValue;
  seed?: number | null;
  params?: Record<string, ParamValue>;
  projectId?: number;
  tags?: Record<string, string>;
  note?: string | null;
  createdBy?: string | null;
  status?: 'QUEUED' | 'RUNNING' | null;
  startedAt?: Date | null;
}

export interface EpochMetricInput {
  name: string;
  split: string;
  value: number;
}

export interface ClassMetricInput {
  split: string;
  classId: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  support: number;
}

export async function createRun(prisma: PrismaClient, r: NewRun): Promise<Run> {
  return prisma.run.create({
    data: {
      kind: r.kind,
      name: r.name ?? null,
      datasetId: r.datasetId ?? null,
      parentId: r.parentId ?? null,
      config: r.config ?? {},
      seed: r.seed ?? null,
      params: { create: Object.entries(r.params ?? {}).map(([key, value]) => ({ key, ...encodeParam(value) })) },
      tags: { create: Object.entries(r.tags ?? {}).map(([key, value]) => ({ key, value })) },
      projectId: r.projectId ?? 0,
      note: r.note ?? null,
      createdBy: r.createdBy ?? null,
      ...(r.status === 'RUNNING' ? { status: 'RUNNING', startedAt: r.startedAt ?? new Date() } : {}),
    },
  });
}

/** Moves a run that is still open (QUEUED, RUNNING) to `status`; null when none is open with that id. */
export async function moveOpenRun(prisma: PrismaClient, id: string, status: RunStatus, extra: { error?: string | null; backend?: string | null } = {}): Promise<Run | null> {
  const { count } = await prisma.run.updateMany({ where: { id, status: { in: [...OPEN_STATUSES] } }, data: { status, ...extra, ...statusTimes(status) } });
  return count ? prisma.run.findUnique({ where: { id } }) : null;
}

/** The run's status, its row locked until the transaction ends (null: no such run). */
export async function lockRunStatus(tx: Prisma.TransactionClient, id: string): Promise<RunStatus | null> {
  const rows = await tx.$queryRaw<{ status: RunStatus }[]>`SELECT "status"::text AS status FROM "Run" WHERE "id" = ${id} FOR UPDATE`;
  return rows[0]?.status ?? null;
}

/** The registered versions made from a run, as `model/3`. */
export async function versionsOfRun(tx: Prisma.TransactionClient, id: string): Promise<string[]> {
  const rows = await tx.modelVersion.findMany({ where: { runId: id }, select: { version: true, model: { select: { name: true } } }, orderBy: [{ createdAt: 'asc' }] });
  return rows.map((v) => `${v.model.name}/${v.version}`);
}

/** Makes a finished run RUNNING again (its start stays; its end and error are cleared). */
export const reopenRun = (tx: Prisma.TransactionClient, id: string) => tx.run.update({ where: { id }, data: { status: 'RUNNING', finishedAt: null, error: null } });

/**
 * Records one epoch's metrics in one statement (atomic, one round trip, no interactive
 * transaction holding a pooled connection): the epoch rows at step = epoch, stamped now (a
 * retried job re-sending an epoch changes nothing: a metric that has a value at that step
 * already is skipped, and a name repeated in one call counts once), the class rows, and the run's metric
 * summaries (last, min, max) from the rows actually inserted, kept current for filtering and sorting.
 * It writes only while the run is open, holding its row (FOR SHARE) so that a concurrent finish
 * waits for the epoch rather than landing between the check and the write, and returns the status
 * it saw (null: no such run).
 */
export async function recordEpoch(prisma: PrismaClient, runId: string, epoch: number, metrics: EpochMetricInput[], classMetrics: ClassMetricInput[]): Promise<RunStatus | null> {
  const c = classMetrics;
  const rows = await prisma.$queryRaw<{ status: RunStatus | null }[]>`
    WITH live AS MATERIALIZED (
      SELECT "status" FROM "Run" WHERE "id" = ${runId} FOR SHARE
    ), open AS MATERIALIZED (
      SELECT 1 FROM live WHERE "status"::text = ANY(${[...OPEN_STATUSES]}::text[])
    ), m AS (
      SELECT DISTINCT ON (name, split) * FROM unnest(${metrics.map((x) => x.name)}::text[], ${metrics.map((x) => x.split)}::text[], ${metrics.map((x) => x.value)}::float8[]) AS m(name, split, value)
      WHERE EXISTS (SELECT 1 FROM open)
    ), classes AS (
      INSERT INTO "ClassMetric" ("runId", "split", "epoch", "classId", "precision", "recall", "f1", "accuracy", "support")
      SELECT ${runId}, x.split, ${epoch}, x."classId", x.p, x.r, x.f1, x.acc, x.support
      FROM unnest(${c.map((x) => x.split)}::text[], ${c.map((x) => x.classId)}::int[], ${c.map((x) => x.precision)}::float8[], ${c.map((x) => x.recall)}::float8[],
                  ${c.map((x) => x.f1)}::float8[], ${c.map((x) => x.accuracy)}::float8[], ${c.map((x) => x.support)}::int[]) AS x(split, "classId", p, r, f1, acc, support)
      WHERE EXISTS (SELECT 1 FROM open)
      ON CONFLICT DO NOTHING
    ), inserted AS (
      INSERT INTO "EpochMetric" ("runId", "epoch", "split", "name", "value", "timestamp")
      SELECT ${runId}, ${epoch}, m.split, m.name, m.value, ${Date.now()}::bigint FROM m
      WHERE NOT EXISTS (SELECT 1 FROM "EpochMetric" e WHERE e."runId" = ${runId} AND e."name" = m.name AND e."split" = m.split AND e."epoch" = ${epoch})
      ON CONFLICT DO NOTHING
      RETURNING "name", "split", "value"
    ), summaries AS (
      INSERT INTO "MetricSummary" ("runId", "name", "split", "lastValue", "lastEpoch", "minValue", "minEpoch", "maxValue", "maxEpoch")
      SELECT ${runId}, i.name, i.split, i.value, ${epoch}, i.value, ${epoch}, i.value, ${epoch} FROM inserted i
      ${MERGE_SUMMARY}
    )
    SELECT (SELECT "status"::text FROM live) AS status`;
  return rows[0]?.status ?? null;
}

/** One page of run ids in order, plus whether more follow. */
export async function findRunIds(prisma: PrismaClient, filter: RunFilter, order: RunOrder | null | undefined, first: number, offset: number) {
  const { join, orderBy } = orderClause(order);
  const rows = await prisma.$queryRaw<{ id: string }[]>`SELECT r."id" FROM "Run" r ${join} ${whereClause(filter)} ${orderBy} LIMIT ${first + 1} OFFSET ${offset}`;
  return { ids: rows.slice(0, first).map((r) => r.id), hasMore: rows.length > first };
}

export async function countRuns(prisma: PrismaClient, filter: RunFilter): Promise<number> {
  const rows = await prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM "Run" r ${whereClause(filter)}`;
  return Number(rows[0]?.n ?? 0);
}

export const runsByIds = (prisma: PrismaClient, ids: readonly string[]) => prisma.run.findMany({ where: { id: { in: [...ids] } } });
export const paramsOf = (prisma: PrismaClient, runIds: readonly string[]) =>
  prisma.runParam.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { key: 'asc' }] });
export const childrenOf = (prisma: PrismaClient, runIds: readonly string[]) =>
  prisma.run.findMany({ where: { parentId: { in: [...runIds] } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
/** Narrows a per-run query to the metrics and splits a caller asked for (absent = all). */
export interface MetricFilter {
  names?: readonly string[] | null;
  split?: string | null;
  epoch?: number | null;
}
const metricWhere = (runIds: readonly string[], f: MetricFilter) => ({
  runId: { in: [...runIds] },
  ...(f.names ? { name: { in: [...f.names] } } : {}),
  ...(f.split != null ? { split: f.split } : {}),
  ...(f.epoch != null ? { epoch: f.epoch } : {}),
});
export const summariesOf = (prisma: PrismaClient, runIds: readonly string[], f: MetricFilter = {}) =>
  prisma.metricSummary.findMany({ where: metricWhere(runIds, { names: f.names, split: f.split }), orderBy: [{ runId: 'asc' }, { name: 'asc' }, { split: 'asc' }] });
export const epochMetricsOf = (prisma: PrismaClient, runIds: readonly string[], f: MetricFilter = {}) =>
  prisma.epochMetric.findMany({ where: metricWhere(runIds, { names: f.names, split: f.split }), orderBy: [{ runId: 'asc' }, { name: 'asc' }, { split: 'asc' }, { epoch: 'asc' }] });
export const classMetricsOf = (prisma: PrismaClient, runIds: readonly string[], f: MetricFilter = {}) =>
  prisma.classMetric.findMany({ where: metricWhere(runIds, { split: f.split, epoch: f.epoch }), orderBy: [{ runId: 'asc' }, { split: 'asc' }, { epoch: 'asc' }, { classId: 'asc' }] });
export const artifactsOf = (prisma: PrismaClient, runIds: readonly string[]) =>
  prisma.artifact.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { createdAt: 'asc' }] });
