import type { PrismaClient } from '../db/generated/client.js';
import type { StoredPoint } from './points.js';
import { whereClause, type RunFilter } from './query.js';
import { sortClause, type RunSort } from './query-columns.js';

/**
 * Data access for MLflow-style reads and writes of runs: a search sorted by several keys, each
 * metric's latest point for a page of runs, and a run's recorded end.
 */

/** One page of run ids in order (`first` of them after `offset`), and whether more follow. */
export async function searchRunIds(prisma: PrismaClient, filter: RunFilter, sorts: readonly RunSort[], first: number, offset: number) {
  const { join, orderBy } = sortClause(sorts);
  const rows = await prisma.$queryRaw<{ id: string }[]>`SELECT r."id" FROM "Run" r ${join} ${whereClause(filter)} ${orderBy} LIMIT ${first + 1} OFFSET ${offset}`;
  return { ids: rows.slice(0, first).map((r) => r.id), hasMore: rows.length > first };
}

/**
 * Each metric's latest point (highest step, then time, then value, NaN included) of each run, as
 * MLflow's run data reports it. A loose index scan: per run, each step down the primary key
 * (run, name, split, step, time, value) jumps to the next lower metric and lands on its latest
 * point, so a page of runs costs one index probe per metric, however many points each has.
 */
export async function latestPointsOf(prisma: PrismaClient, runIds: readonly string[]): Promise<StoredPoint[]> {
  if (!runIds.length) return [];
  const rows = await prisma.$queryRaw<{ runId: string; name: string; split: string; epoch: number; timestamp: bigint; value: number }[]>`
    WITH RECURSIVE latest AS (
      SELECT e.* FROM unnest(${[...runIds]}::text[]) AS ids(id)
      CROSS JOIN LATERAL (
        SELECT "runId", "name", "split", "epoch", "timestamp", "value" FROM "EpochMetric" WHERE "runId" = ids.id
        ORDER BY "name" DESC, "split" DESC, "epoch" DESC, "timestamp" DESC, "value" DESC LIMIT 1) e
      UNION ALL
      SELECT n.* FROM latest l
      CROSS JOIN LATERAL (
        SELECT "runId", "name", "split", "epoch", "timestamp", "value" FROM "EpochMetric"
        WHERE "runId" = l."runId" AND ("name", "split") < (l."name", l."split")
        ORDER BY "name" DESC, "split" DESC, "epoch" DESC, "timestamp" DESC, "value" DESC LIMIT 1) n
    )
    SELECT * FROM latest`;
  return rows.map((r) => ({ runId: r.runId, name: r.name, split: r.split, step: r.epoch, timestamp: Number(r.timestamp), value: r.value }));
}

/** Records when a finished run ended (MLflow's end_time); an open run keeps no end. */
export const setFinishedAt = (prisma: PrismaClient, runId: string, finishedAt: Date) =>
  prisma.run.updateMany({ where: { id: runId, finishedAt: { not: null } }, data: { finishedAt } });
