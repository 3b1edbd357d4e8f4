import { Prisma } from '../db/generated/client.js';

/** A run's own columns that a condition or a sort may name (MLflow's `attributes.*`). */
export type RunAttribute = 'ID' | 'ID_HEX' | 'NAME' | 'NOTE' | 'STATUS' | 'CREATED_BY' | 'STARTED_AT' | 'FINISHED_AT' | 'PROJECT';

export type AttributeOperator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

/**
 * A condition on one column. Text columns take = != LIKE ILIKE IN NOT IN with strings; the
 * times (STARTED_AT, FINISHED_AT) take = != > >= < <= with milliseconds since the Unix epoch.
 */
export interface AttributeCondition {
  attribute: RunAttribute;
  op: AttributeOperator;
  value: string | number | readonly string[];
}

/**
 * The column each attribute reads. A run that never started (QUEUED by tagfusion) starts, for
 * MLflow, when it was created; the id as MLflow spells it is the UUID without dashes; a missing
 * name or creator compares as '' (MLflow's runs always have both).
 */
const COLUMN: Record<RunAttribute, Prisma.Sql> = {
  ID: Prisma.sql`r."id"`,
  ID_HEX: Prisma.sql`replace(r."id", '-', '')`,
  NAME: Prisma.sql`COALESCE(r."name", '')`,
  NOTE: Prisma.sql`r."note"`,
  STATUS: Prisma.sql`r."status"::text`,
  CREATED_BY: Prisma.sql`COALESCE(r."createdBy", '')`,
  STARTED_AT: Prisma.sql`COALESCE(r."startedAt", r."createdAt")`,
  FINISHED_AT: Prisma.sql`r."finishedAt"`,
  PROJECT: Prisma.sql`r."projectId"`,
};
const TIMES = new Set<RunAttribute>(['STARTED_AT', 'FINISHED_AT']);
const COMPARE: Partial<Record<AttributeOperator, string>> = { '=': '=', '!=': '<>', '>': '>', '>=': '>=', '<': '<', '<=': '<=', LIKE: 'LIKE', ILIKE: 'ILIKE' };

/** The SQL of one attribute condition; an empty IN list matches nothing, an empty NOT IN everything. */
export function attributeCondition(c: AttributeCondition): Prisma.Sql {
  const column = COLUMN[c.attribute];
  if (c.op === 'IN' || c.op === 'NOT IN') {
    const list = Array.isArray(c.value) ? (c.value as string[]) : [String(c.value)];
    if (!list.length) return c.op === 'IN' ? Prisma.sql`FALSE` : Prisma.sql`TRUE`;
    return Prisma.sql`${column} ${Prisma.raw(c.op)} (${Prisma.join(list)})`;
  }
  // Timestamps are stored without a zone, in UTC: the milliseconds become such a timestamp.
  const value = TIMES.has(c.attribute) ? Prisma.sql`(to_timestamp(${Number(c.value)}::float8 / 1000) AT TIME ZONE 'UTC')` : Prisma.sql`${String(c.value)}`;
  return Prisma.sql`${column} ${Prisma.raw(COMPARE[c.op]!)} ${value}`;
}

/** What a run list may be sorted by: a column, a metric's summary, a param's text or a tag's value. */
export type RunSortKey =
  | { attribute: RunAttribute }
  | { metric: { name: string; split: string; aggregate?: 'LAST' | 'MIN' | 'MAX' } }
  | { param: string }
  | { tag: string };

export interface RunSort {
  key: RunSortKey;
  direction: 'ASC' | 'DESC';
}

const SUMMARY = { LAST: 'lastValue', MIN: 'minValue', MAX: 'maxValue' } as const;

/**
 * JOINs and ORDER BY for several sort keys in turn (MLflow's `order_by` list). Runs without the
 * metric, param or tag come last either way, as in MLflow; ties go to the latest start, then the
 * id, MLflow's own order when nothing is asked.
 */
export function sortClause(sorts: readonly RunSort[]): { join: Prisma.Sql; orderBy: Prisma.Sql } {
  const joins: Prisma.Sql[] = [];
  const keys: Prisma.Sql[] = [];
  sorts.forEach(({ key, direction }, i) => {
    const alias = Prisma.raw(`o${i}`);
    const dir = Prisma.raw(direction === 'ASC' ? 'ASC' : 'DESC');
    if ('attribute' in key) return void keys.push(Prisma.sql`${COLUMN[key.attribute]} ${dir} NULLS LAST`);
    if ('metric' in key) {
      const m = key.metric;
      joins.push(Prisma.sql`LEFT JOIN "MetricSummary" ${alias} ON ${alias}."runId" = r."id" AND ${alias}."name" = ${m.name} AND ${alias}."split" = ${m.split}`);
      return void keys.push(Prisma.sql`${alias}.${Prisma.raw(`"${SUMMARY[m.aggregate ?? 'LAST']}"`)} ${dir} NULLS LAST`);
    }
    const [table, column, k] = 'param' in key ? ['RunParam', 'valueText', key.param] : ['RunTag', 'value', key.tag];
    joins.push(Prisma.sql`LEFT JOIN ${Prisma.raw(`"${table}"`)} ${alias} ON ${alias}."runId" = r."id" AND ${alias}."key" = ${k}`);
    keys.push(Prisma.sql`${alias}.${Prisma.raw(`"${column}"`)} ${dir} NULLS LAST`);
  });
  keys.push(Prisma.sql`${COLUMN.STARTED_AT} DESC`, Prisma.sql`r."id" ASC`);
  return { join: joins.length ? Prisma.join(joins, ' ') : Prisma.empty, orderBy: Prisma.sql`ORDER BY ${Prisma.join(keys, ', ')}` };
}
