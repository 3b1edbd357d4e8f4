import type { PrismaClient } from '../db/generated/client.js';
import type { RunStatus } from '../db/generated/enums.js';
import { MERGE_SUMMARY } from './summary-sql.js';
import { OPEN_STATUSES } from './lifecycle.js';

/** A metric value at a step and a time, as MLflow clients log them (several may share a step). */
export interface MetricPoint {
  name: string;
  split: string;
  step: number;
  /** milliseconds since the Unix epoch */
  timestamp: number;
  /** NaN and ±Infinity are kept as logged; summaries skip them */
  value: number;
}

/**
 * Records metric points in one statement. A point identical to one stored (run, name, split,
 * step, time, value) is stored once, so a retried request changes nothing. The summaries take
 * each metric's finite points: last is the one at the highest (step, time), as MLflow's latest
 * metric. Written only while the run is open (checked under FOR SHARE, as recordEpoch); returns
 * the status seen (null: no such run).
 */
export async function recordPoints(prisma: PrismaClient, runId: string, points: MetricPoint[]): Promise<RunStatus | null> {
  // Postgres float8 arrays take 'NaN' and 'Infinity' as text; JSON numbers cannot carry them.
  const values = points.map((p) => (Number.isFinite(p.value) ? String(p.value) : p.value > 0 ? 'Infinity' : p.value < 0 ? '-Infinity' : 'NaN'));
  const rows = await prisma.$queryRaw<{ status: RunStatus | null }[]>`
    WITH live AS MATERIALIZED (
      SELECT "status" FROM "Run" WHERE "id" = ${runId} FOR SHARE
    ), open AS MATERIALIZED (
      SELECT 1 FROM live WHERE "status"::text = ANY(${[...OPEN_STATUSES]}::text[])
    ), inserted AS (
      INSERT INTO "EpochMetric" ("runId", "name", "split", "epoch", "timestamp", "value")
      SELECT ${runId}, p.name, p.split, p.step, p.ts, p.value
      FROM unnest(${points.map((p) => p.name)}::text[], ${points.map((p) => p.split)}::text[], ${points.map((p) => p.step)}::int[],
                  ${points.map((p) => p.timestamp)}::bigint[], ${values}::float8[]) AS p(name, split, step, ts, value)
      WHERE EXISTS (SELECT 1 FROM open)
      ON CONFLICT DO NOTHING
      RETURNING "name", "split", "epoch", "timestamp", "value"
    ), finite AS (
      SELECT * FROM inserted WHERE "value" NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
    ), agg AS (
      -- One row per metric: ON CONFLICT DO UPDATE may touch a summary only once per statement.
      SELECT "name", "split",
        (array_agg("value" ORDER BY "epoch" DESC, "timestamp" DESC, "value" DESC))[1] AS last_value, max("epoch") AS last_step,
        min("value") AS min_value, (array_agg("epoch" ORDER BY "value" ASC, "epoch" ASC))[1] AS min_step,
        max("value") AS max_value, (array_agg("epoch" ORDER BY "value" DESC, "epoch" ASC))[1] AS max_step
      FROM finite GROUP BY "name", "split"
    ), summaries AS (
      INSERT INTO "MetricSummary" ("runId", "name", "split", "lastValue", "lastEpoch", "minValue", "minEpoch", "maxValue", "maxEpoch")
      SELECT ${runId}, a."name", a."split", a.last_value, a.last_step, a.min_value, a.min_step, a.max_value, a.max_step FROM agg a
      ${MERGE_SUMMARY}
    )
    SELECT (SELECT "status"::text FROM live) AS status`;
  return rows[0]?.status ?? null;
}

/** A stored point as read back (bigint timestamps as numbers). */
export interface StoredPoint extends MetricPoint {
  runId: string;
}

/** Every point of one metric of one run, in (step, time) order: MLflow's metric history. */
export async function metricHistory(prisma: PrismaClient, runId: string, name: string, split: string, first: number, afterRow = 0): Promise<StoredPoint[]> {
  const rows = await prisma.$queryRaw<{ epoch: number; timestamp: bigint; value: number }[]>`
    SELECT "epoch", "timestamp", "value" FROM "EpochMetric"
    WHERE "runId" = ${runId} AND "name" = ${name} AND "split" = ${split}
    ORDER BY "epoch", "timestamp", "value" LIMIT ${first} OFFSET ${afterRow}`;
  return rows.map((r) => ({ runId, name, split, step: r.epoch, timestamp: Number(r.timestamp), value: r.value }));
}

/**
 * Each metric's latest point of each run: the highest step, then the latest time, then the
 * largest value, as MLflow's get-run reports a run's metrics (NaN included).
 */
export async function latestPoints(prisma: PrismaClient, runIds: readonly string[]): Promise<StoredPoint[]> {
  if (!runIds.length) return [];
  const rows = await prisma.$queryRaw<{ runId: string; name: string; split: string; epoch: number; timestamp: bigint; value: number }[]>`
    SELECT DISTINCT ON ("runId", "name", "split") "runId", "name", "split", "epoch", "timestamp", "value"
    FROM "EpochMetric" WHERE "runId" = ANY(${[...runIds]}::text[])
    ORDER BY "runId", "name", "split", "epoch" DESC, "timestamp" DESC, "value" DESC`;
  return rows.map((r) => ({ runId: r.runId, name: r.name, split: r.split, step: r.epoch, timestamp: Number(r.timestamp), value: r.value }));
}
