import type { PrismaClient } from '../db/generated/client.js';
import { Prisma } from '../db/generated/client.js';
import { whereClause, type RunFilter } from '../runs/query.js';

/**
 * Data access for exports: pages of runs and of metric points read by keyset (the last row's key,
 * never an offset, so page 1,000 costs what page 1 does and a run created meanwhile cannot shift
 * rows between pages), and the columns a CSV header needs before its first row.
 */

/** Runs chosen by a runs filter and, when given, by id (any lifecycle: a named run is wanted). */
export interface RunSelection {
  filter: RunFilter;
  runIds?: readonly string[];
}

/** The ids of the selected runs as a subquery; `r."id"` is the run. */
function selected(s: RunSelection): Prisma.Sql {
  const byId = s.runIds?.length ? Prisma.sql`AND x."id" = ANY(${[...s.runIds]}::text[])` : Prisma.empty;
  // The filter's WHERE stays whole inside its own subquery; Postgres flattens it, so indexes still apply.
  return Prisma.sql`SELECT x."id", x."createdAt" FROM (SELECT r."id", r."createdAt" FROM "Run" r ${whereClause(s.filter)}) x WHERE TRUE ${byId}`;
}

/** Where a page of runs ended: the creation time as Postgres prints it (exact, no time zone) and the id. */
export interface RunCursor {
  at: string;
  id: string;
}

/** The next `take` selected runs, newest first (as the runs table lists them), after `after`. */
export async function runPage(prisma: PrismaClient, s: RunSelection, after: RunCursor | null, take: number): Promise<RunCursor[]> {
  const keyset = after ? Prisma.sql`WHERE (s."createdAt", s."id") < (${after.at}::timestamp, ${after.id})` : Prisma.empty;
  return prisma.$queryRaw<RunCursor[]>`
    SELECT s."id", s."createdAt"::text AS at FROM (${selected(s)}) s ${keyset}
    ORDER BY s."createdAt" DESC, s."id" DESC LIMIT ${take}`;
}

/** The runs of a page with their project's name. */
export const runsWithProject = (prisma: PrismaClient, ids: readonly string[]) =>
  prisma.run.findMany({ where: { id: { in: [...ids] } }, include: { project: { select: { name: true } } } });

/**
 * The param keys, tag keys and metrics (name, split) any selected run has: a CSV's header comes
 * before its rows. Metrics are found per run by a loose index scan down the primary key of
 * EpochMetric (one probe per metric, however many points it has); the summaries table would miss
 * a metric whose values are all NaN.
 */
export async function columnKeys(prisma: PrismaClient, s: RunSelection) {
  const params = await prisma.$queryRaw<{ key: string }[]>`
    SELECT DISTINCT p."key" FROM "RunParam" p WHERE p."runId" IN (SELECT s."id" FROM (${selected(s)}) s) ORDER BY 1`;
  const tags = await prisma.$queryRaw<{ key: string }[]>`
    SELECT DISTINCT t."key" FROM "RunTag" t WHERE t."runId" IN (SELECT s."id" FROM (${selected(s)}) s) ORDER BY 1`;
  const metrics = await prisma.$queryRaw<{ name: string; split: string }[]>`
    WITH RECURSIVE runs AS (SELECT s."id" FROM (${selected(s)}) s), keys AS (
      SELECT e.* FROM runs CROSS JOIN LATERAL (
        SELECT "runId", "name", "split" FROM "EpochMetric" WHERE "runId" = runs."id" ORDER BY "name", "split" LIMIT 1) e
      UNION ALL
      SELECT n.* FROM keys k CROSS JOIN LATERAL (
        SELECT "runId", "name", "split" FROM "EpochMetric"
        WHERE "runId" = k."runId" AND ("name", "split") > (k."name", k."split") ORDER BY "name", "split" LIMIT 1) n
    )
    SELECT DISTINCT "name", "split" FROM keys`;
  return { params: params.map((p) => p.key), tags: tags.map((t) => t.key), metrics };
}

/** A stored metric point; the key of the primary key order that points are exported in. */
export interface PointRow {
  runId: string;
  name: string;
  split: string;
  epoch: number;
  timestamp: bigint;
  value: number;
}

/**
 * The next `take` points of the selected runs in primary key order (run, name, split, step,
 * time, value), after `after`. The value is part of the key (several values may share a step and
 * a time); it goes back to Postgres as text, the one way to pass NaN and the infinities.
 */
export async function pointPage(prisma: PrismaClient, s: RunSelection, after: PointRow | null, take: number): Promise<PointRow[]> {
  const keyset = after
    ? Prisma.sql`AND (e."runId", e."name", e."split", e."epoch", e."timestamp", e."value") >
        (${after.runId}, ${after.name}, ${after.split}, ${after.epoch}::int, ${after.timestamp}::bigint, ${floatText(after.value)}::float8)`
    : Prisma.empty;
  return prisma.$queryRaw<PointRow[]>`
    SELECT e."runId", e."name", e."split", e."epoch", e."timestamp", e."value" FROM "EpochMetric" e
    WHERE e."runId" IN (SELECT s."id" FROM (${selected(s)}) s) ${keyset}
    ORDER BY e."runId", e."name", e."split", e."epoch", e."timestamp", e."value" LIMIT ${take}`;
}

/** Postgres reads 'NaN', 'Infinity' and '-Infinity' as float8; JavaScript's String() writes exactly those. */
const floatText = (v: number) => String(v);

/** Which of `ids` are runs (any lifecycle). */
export async function existingRunIds(prisma: PrismaClient, ids: readonly string[]): Promise<Set<string>> {
  const rows = await prisma.run.findMany({ where: { id: { in: [...ids] } }, select: { id: true } });
  return new Set(rows.map((r) => r.id));
}

/** Which of `ids` are projects (any lifecycle). */
export async function existingProjectIds(prisma: PrismaClient, ids: readonly number[]): Promise<Set<number>> {
  const rows = await prisma.project.findMany({ where: { id: { in: [...ids] } }, select: { id: true } });
  return new Set(rows.map((p) => p.id));
}
