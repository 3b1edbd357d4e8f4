import { Prisma } from '../db/generated/client.js';
import type { RunStatus } from '../db/generated/enums.js';
import { attributeCondition, type AttributeCondition } from './query-columns.js';

export interface NumberCondition {
  eq?: number | null;
  /** differs (MLflow's `!=`); the run must have the value */
  ne?: number | null;
  gt?: number | null;
  gte?: number | null;
  lt?: number | null;
  lte?: number | null;
}

export interface ParamCondition extends NumberCondition {
  key: string;
  /** exact text match (strings, or numbers as written) */
  equals?: string | null;
  in?: string[] | null;
  /** text comparisons, as MLflow's `params.x != / LIKE / ILIKE` */
  notEquals?: string | null;
  like?: string | null;
  ilike?: string | null;
}

export type MetricAggregate = 'LAST' | 'MIN' | 'MAX';

export interface MetricCondition extends NumberCondition {
  name: string;
  split?: string | null;
  aggregate?: MetricAggregate | null;
}

/** A tag condition: the tag exists, and its value equals, or matches a SQL LIKE pattern. */
export interface TagCondition {
  key: string;
  equals?: string | null;
  notEquals?: string | null;
  like?: string | null;
  ilike?: string | null;
}

/** Deleted runs (soft delete, MLflow's lifecycle) are left out unless asked for. */
export type RunLifecycle = 'ACTIVE' | 'DELETED' | 'ALL';

export interface RunFilter {
  /** only runs of these projects (MLflow: experiments) */
  projectIds?: number[] | null;
  /** ACTIVE (default), DELETED or ALL */
  lifecycle?: RunLifecycle | null;
  tags?: TagCondition[] | null;
  status?: RunStatus[] | null;
  kind?: string[] | null;
  datasetId?: string | null;
  parentId?: string | null;
  /** only runs without a parent (experiments and standalone runs) */
  topLevel?: boolean | null;
  /** case-insensitive substring of the run's name */
  search?: string | null;
  params?: ParamCondition[] | null;
  metrics?: MetricCondition[] | null;
  /** conditions on the run's own columns (MLflow's `attributes.*`), all of which must hold */
  attributes?: AttributeCondition[] | null;
}

export type RunOrderField = 'CREATED_AT' | 'STARTED_AT' | 'FINISHED_AT' | 'NAME' | 'STATUS' | 'PARAM' | 'METRIC';

export interface RunOrder {
  field: RunOrderField;
  direction?: 'ASC' | 'DESC' | null;
  /** param key, with field PARAM */
  key?: string | null;
  /** metric, with field METRIC */
  metric?: { name: string; split?: string | null; aggregate?: MetricAggregate | null } | null;
}

const SUMMARY_COLUMN: Record<MetricAggregate, string> = { LAST: 'lastValue', MIN: 'minValue', MAX: 'maxValue' };
const RUN_COLUMN: Partial<Record<RunOrderField, string>> = {
  CREATED_AT: 'createdAt',
  STARTED_AT: 'startedAt',
  FINISHED_AT: 'finishedAt',
  NAME: 'name',
  STATUS: 'status',
};

function numberConditions(column: Prisma.Sql, c: NumberCondition): Prisma.Sql[] {
  const out: Prisma.Sql[] = [];
  if (c.eq != null) out.push(Prisma.sql`${column} = ${c.eq}`);
  if (c.ne != null) out.push(Prisma.sql`${column} <> ${c.ne}`);
  if (c.gt != null) out.push(Prisma.sql`${column} > ${c.gt}`);
  if (c.gte != null) out.push(Prisma.sql`${column} >= ${c.gte}`);
  if (c.lt != null) out.push(Prisma.sql`${column} < ${c.lt}`);
  if (c.lte != null) out.push(Prisma.sql`${column} <= ${c.lte}`);
  return out;
}

/**
 * The WHERE clause of a runs query. Param and metric conditions are EXISTS subqueries on indexed
 * child tables (RunParam by key and value, MetricSummary by name, split and value).
 */
export function whereClause(f: RunFilter): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  const lifecycle = f.lifecycle ?? 'ACTIVE';
  if (lifecycle !== 'ALL') parts.push(lifecycle === 'ACTIVE' ? Prisma.sql`r."deletedAt" IS NULL` : Prisma.sql`r."deletedAt" IS NOT NULL`);
  if (f.projectIds?.length) parts.push(Prisma.sql`r."projectId" IN (${Prisma.join(f.projectIds)})`);
  for (const t of f.tags ?? []) {
    const conds = [Prisma.sql`t."runId" = r."id"`, Prisma.sql`t."key" = ${t.key}`];
    if (t.equals != null) conds.push(Prisma.sql`t."value" = ${t.equals}`);
    if (t.notEquals != null) conds.push(Prisma.sql`t."value" <> ${t.notEquals}`);
    if (t.like != null) conds.push(Prisma.sql`t."value" LIKE ${t.like}`);
    if (t.ilike != null) conds.push(Prisma.sql`t."value" ILIKE ${t.ilike}`);
    parts.push(Prisma.sql`EXISTS (SELECT 1 FROM "RunTag" t WHERE ${Prisma.join(conds, ' AND ')})`);
  }
  if (f.status?.length) parts.push(Prisma.sql`r."status"::text IN (${Prisma.join(f.status)})`);
  if (f.kind?.length) parts.push(Prisma.sql`r."kind" IN (${Prisma.join(f.kind)})`);
  if (f.datasetId) parts.push(Prisma.sql`r."datasetId" = ${f.datasetId}`);
  if (f.parentId) parts.push(Prisma.sql`r."parentId" = ${f.parentId}`);
  if (f.topLevel) parts.push(Prisma.sql`r."parentId" IS NULL`);
  if (f.search) parts.push(Prisma.sql`r."name" ILIKE ${'%' + f.search.replace(/[\\%_]/g, (c) => '\\' + c) + '%'}`);
  for (const p of f.params ?? []) {
    const conds = [Prisma.sql`p."runId" = r."id"`, Prisma.sql`p."key" = ${p.key}`, ...numberConditions(Prisma.sql`p."valueNum"`, p)];
    if (p.equals != null) conds.push(Prisma.sql`p."valueText" = ${p.equals}`);
    if (p.in?.length) conds.push(Prisma.sql`p."valueText" IN (${Prisma.join(p.in)})`);
    if (p.notEquals != null) conds.push(Prisma.sql`p."valueText" <> ${p.notEquals}`);
    if (p.like != null) conds.push(Prisma.sql`p."valueText" LIKE ${p.like}`);
    if (p.ilike != null) conds.push(Prisma.sql`p."valueText" ILIKE ${p.ilike}`);
    parts.push(Prisma.sql`EXISTS (SELECT 1 FROM "RunParam" p WHERE ${Prisma.join(conds, ' AND ')})`);
  }
  for (const a of f.attributes ?? []) parts.push(attributeCondition(a));
  for (const m of f.metrics ?? []) {
    const column = Prisma.raw(`s."${SUMMARY_COLUMN[m.aggregate ?? 'LAST']}"`);
    const conds = [Prisma.sql`s."runId" = r."id"`, Prisma.sql`s."name" = ${m.name}`, Prisma.sql`s."split" = ${m.split ?? 'val'}`, ...numberConditions(column, m)];
    parts.push(Prisma.sql`EXISTS (SELECT 1 FROM "MetricSummary" s WHERE ${Prisma.join(conds, ' AND ')})`);
  }
  return parts.length ? Prisma.sql`WHERE ${Prisma.join(parts, ' AND ')}` : Prisma.empty;
}

/** JOIN and ORDER BY for the chosen order; ties are broken by creation time and id. */
export function orderClause(order: RunOrder | null | undefined): { join: Prisma.Sql; orderBy: Prisma.Sql } {
  const dir = Prisma.raw(order?.direction === 'ASC' ? 'ASC' : 'DESC');
  const tie = Prisma.sql`r."createdAt" DESC, r."id" DESC`;
  if (!order || order.field === 'CREATED_AT') return { join: Prisma.empty, orderBy: Prisma.sql`ORDER BY r."createdAt" ${dir}, r."id" ${dir}` };
  if (order.field === 'PARAM') {
    const key = order.key ?? '';
    return {
      join: Prisma.sql`LEFT JOIN "RunParam" op ON op."runId" = r."id" AND op."key" = ${key}`,
      orderBy: Prisma.sql`ORDER BY op."valueNum" ${dir} NULLS LAST, op."valueText" ${dir} NULLS LAST, ${tie}`,
    };
  }
  if (order.field === 'METRIC') {
    const m = order.metric ?? { name: '' };
    const column = Prisma.raw(`om."${SUMMARY_COLUMN[m.aggregate ?? 'LAST']}"`);
    return {
      join: Prisma.sql`LEFT JOIN "MetricSummary" om ON om."runId" = r."id" AND om."name" = ${m.name} AND om."split" = ${m.split ?? 'val'}`,
      orderBy: Prisma.sql`ORDER BY ${column} ${dir} NULLS LAST, ${tie}`,
    };
  }
  const column = Prisma.raw(`r."${RUN_COLUMN[order.field]}"`);
  return { join: Prisma.empty, orderBy: Prisma.sql`ORDER BY ${column} ${dir} NULLS LAST, ${tie}` };
}
