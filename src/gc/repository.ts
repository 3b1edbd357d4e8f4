import type { PrismaClient } from '../db/generated/client.js';
import { Prisma } from '../db/generated/client.js';
import type { CandidateProject, CandidateRun, CandidateVersion, VersionUse } from './plan.js';

/**
 * Data access of `tagfusion gc`. Lists of ids travel as one array parameter (`= ANY($1)`), so a
 * collection of 100,000 runs stays one statement within Postgres's parameter limit. Times are
 * compared as Prisma stores them: timestamps without a zone, in UTC.
 */
type Tx = Prisma.TransactionClient;

/** Deleted before this moment (milliseconds since the Unix epoch). */
const before = (cutoff: number) => Prisma.sql`(to_timestamp(${cutoff}::float8 / 1000) AT TIME ZONE 'UTC')`;

export const deletedRuns = (prisma: PrismaClient, cutoff: number) =>
  prisma.$queryRaw<CandidateRun[]>`SELECT "id", "name", "parentId", "projectId" FROM "Run" WHERE "deletedAt" <= ${before(cutoff)}`;

export const childrenOf = (prisma: PrismaClient, ids: string[]) =>
  prisma.$queryRaw<{ id: string; parentId: string }[]>`SELECT "id", "parentId" FROM "Run" WHERE "parentId" = ANY(${ids}::text[])`;

/** Versions made from the runs, or holding one of their artifacts: by `runId`, or the artifact's run. */
export const versionsUsing = (prisma: PrismaClient, ids: string[]) =>
  prisma.$queryRaw<VersionUse[]>`
    SELECT DISTINCT v."id" AS "versionId", m."name" || '/' || v."version" AS label, v."deletedAt" IS NOT NULL AS deleted, u."runId"
    FROM "ModelVersion" v JOIN "RegisteredModel" m ON m."id" = v."modelId"
    LEFT JOIN "Artifact" a ON a."id" = v."artifactId"
    CROSS JOIN LATERAL (VALUES (v."runId"), (a."runId")) u("runId")
    WHERE u."runId" = ANY(${ids}::text[])`;

/** Versions that name a run only in their source (`runs:/…`), whose run link is gone. */
export const versionsBySourceOnly = (prisma: PrismaClient) =>
  prisma.$queryRaw<{ versionId: string; label: string; deleted: boolean; source: string }[]>`
    SELECT v."id" AS "versionId", m."name" || '/' || v."version" AS label, v."deletedAt" IS NOT NULL AS deleted, v."source"
    FROM "ModelVersion" v JOIN "RegisteredModel" m ON m."id" = v."modelId"
    WHERE v."runId" IS NULL AND (v."source" LIKE 'runs:/%' OR v."source" LIKE 'mlflow-artifacts:%')`;

export const deletedVersions = (prisma: PrismaClient, cutoff: number) =>
  prisma.$queryRaw<CandidateVersion[]>`
    SELECT v."id", m."name" || '/' || v."version" AS label,
      ARRAY(SELECT a."alias" FROM "ModelAlias" a WHERE a."versionId" = v."id" ORDER BY 1) AS aliases
    FROM "ModelVersion" v JOIN "RegisteredModel" m ON m."id" = v."modelId" WHERE v."deletedAt" <= ${before(cutoff)}`;

export async function deletedProjects(prisma: PrismaClient, cutoff: number): Promise<CandidateProject[]> {
  const rows = await prisma.$queryRaw<{ id: number; name: string; runs: bigint }[]>`
    SELECT p."id", p."name", (SELECT count(*) FROM "Run" r WHERE r."projectId" = p."id") AS runs
    FROM "Project" p WHERE p."deletedAt" <= ${before(cutoff)} AND p."id" <> 0`;
  return rows.map((p) => ({ id: p.id, name: p.name, runs: Number(p.runs) }));
}

/** Deleted items not yet old enough to collect. */
export async function tooRecent(prisma: PrismaClient, cutoff: number) {
  const [row] = await prisma.$queryRaw<{ runs: bigint; projects: bigint; modelVersions: bigint }[]>`
    SELECT (SELECT count(*) FROM "Run" WHERE "deletedAt" > ${before(cutoff)}) AS runs,
      (SELECT count(*) FROM "Project" WHERE "deletedAt" > ${before(cutoff)}) AS projects,
      (SELECT count(*) FROM "ModelVersion" WHERE "deletedAt" > ${before(cutoff)}) AS "modelVersions"`;
  return { runs: Number(row!.runs), projects: Number(row!.projects), modelVersions: Number(row!.modelVersions) };
}

export interface RowCounts {
  params: number;
  metricPoints: number;
  classMetrics: number;
  tags: number;
  artifacts: number;
}

/** The child rows that go with the runs (the cascade removes them with each run). */
export async function rowCounts(db: PrismaClient | Tx, ids: string[]): Promise<RowCounts> {
  const [row] = await db.$queryRaw<Record<keyof RowCounts, bigint>[]>`
    SELECT (SELECT count(*) FROM "RunParam" WHERE "runId" = ANY(${ids}::text[])) AS params,
      (SELECT count(*) FROM "EpochMetric" WHERE "runId" = ANY(${ids}::text[])) AS "metricPoints",
      (SELECT count(*) FROM "ClassMetric" WHERE "runId" = ANY(${ids}::text[])) AS "classMetrics",
      (SELECT count(*) FROM "RunTag" WHERE "runId" = ANY(${ids}::text[])) AS tags,
      (SELECT count(*) FROM "Artifact" WHERE "runId" = ANY(${ids}::text[])) AS artifacts`;
  return { params: Number(row!.params), metricPoints: Number(row!.metricPoints), classMetrics: Number(row!.classMetrics), tags: Number(row!.tags), artifacts: Number(row!.artifacts) };
}

/** The prediction sets (and so submission files) of versions; the rows cascade with them. */
export const predictionSetsOf = (db: PrismaClient | Tx, versionIds: string[]) =>
  db.$queryRaw<{ id: string; versionId: string }[]>`SELECT "id", "modelVersionId" AS "versionId" FROM "PredictionSet" WHERE "modelVersionId" = ANY(${versionIds}::text[])`;

/**
 * Removes the versions that are still deleted, old enough and without aliases (checked again
 * here: one may have been restored since the plan), returning those removed.
 */
export const purgeVersions = (tx: Tx, ids: string[], cutoff: number) =>
  tx.$queryRaw<{ id: string; modelId: string; model: string; version: number; deletedAt: string }[]>`
    DELETE FROM "ModelVersion" v USING "RegisteredModel" m
    WHERE m."id" = v."modelId" AND v."id" = ANY(${ids}::text[]) AND v."deletedAt" <= ${before(cutoff)}
      AND NOT EXISTS (SELECT 1 FROM "ModelAlias" a WHERE a."versionId" = v."id")
    RETURNING v."id", v."modelId", m."name" AS model, v."version", to_char(v."deletedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "deletedAt"`;

/**
 * Of `batch`, the runs that may still go, locked until the transaction ends: deleted and old
 * enough, no version made from them, and every child among `all` and still collectable (a
 * restore or a new child since the plan keeps the run).
 */
export async function lockCollectable(tx: Tx, batch: string[], all: string[], cutoff: number): Promise<string[]> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT r."id" FROM "Run" r
    WHERE r."id" = ANY(${batch}::text[]) AND r."deletedAt" <= ${before(cutoff)}
      AND NOT EXISTS (SELECT 1 FROM "ModelVersion" v WHERE v."runId" = r."id")
      AND NOT EXISTS (SELECT 1 FROM "ModelVersion" v JOIN "Artifact" a ON a."id" = v."artifactId" WHERE a."runId" = r."id")
      AND NOT EXISTS (SELECT 1 FROM "Run" c WHERE c."parentId" = r."id" AND NOT (c."id" = ANY(${all}::text[]) AND c."deletedAt" <= ${before(cutoff)}))
    FOR UPDATE OF r`;
  return rows.map((r) => r.id);
}

export const purgeRuns = (tx: Tx, ids: string[]) => tx.$executeRaw`DELETE FROM "Run" WHERE "id" = ANY(${ids}::text[])`;

/** Removes the projects still deleted, old enough and empty, returning their ids. */
export async function purgeProjects(tx: Tx, ids: number[], cutoff: number): Promise<number[]> {
  const rows = await tx.$queryRaw<{ id: number }[]>`
    DELETE FROM "Project" p WHERE p."id" = ANY(${ids}::int[]) AND p."id" <> 0 AND p."deletedAt" <= ${before(cutoff)}
      AND NOT EXISTS (SELECT 1 FROM "Run" r WHERE r."projectId" = p."id")
    RETURNING p."id"`;
  return rows.map((p) => p.id);
}

/** Rows that still exist among `ids` (a journal's replay removes files only of rows that are gone). */
export async function existing(prisma: PrismaClient, table: 'Run' | 'PredictionSet', ids: string[]): Promise<Set<string>> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`SELECT "id" FROM ${Prisma.raw(`"${table}"`)} WHERE "id" = ANY(${ids}::text[])`;
  return new Set(rows.map((r) => r.id));
}

/** The audit log keeps a purged version's history (its model may outlive it, or not). */
export const auditPurges = (tx: Tx, actor: { name: string; role: string }, purged: { modelId: string; model: string; version: number; deletedAt: string }[]) =>
  tx.auditLog.createMany({
    data: purged.map((v) => ({
      actor: actor.name,
      actorRole: actor.role,
      action: 'VERSION_PURGED',
      modelId: v.modelId,
      modelName: v.model,
      version: v.version,
      before: { version: v.version, deletedAt: v.deletedAt },
    })),
  });
