import type { RunStatus } from '../db/generated/enums.js';
import type { MetricCondition, ParamCondition, RunFilter, TagCondition } from '../runs/query.js';
import type { AttributeCondition, RunAttribute, RunSort } from '../runs/query-columns.js';
import { MLFLOW_STATUS, type MlflowStatus } from './convert.js';
import { invalidParameter } from './errors.js';
import { parseMetricKey } from './metric-key.js';
import { likeToRegExp, parseFilter, parseOrderBy, type Clause, type Comparator } from './search-filter.js';
import { TAG_NAME, TAG_NOTE, TAG_USER } from './run-tags.js';

/**
 * MLflow's `runs/search` filter and order_by over tagfusion's runs query: metrics compare their
 * latest value (MetricSummary's LAST: the value at the highest step), params and tags their text
 * (indexed by key and value), attributes the run's own columns. The tags tagfusion keeps as
 * columns (mlflow.runName, mlflow.user, mlflow.note.content) are filtered as those columns.
 */
const NUMBER_OPS: Comparator[] = ['=', '!=', '>', '>=', '<', '<='];
const TEXT_OPS: Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const ATTRIBUTE_TEXT_OPS: Comparator[] = [...TEXT_OPS, 'IN', 'NOT IN'];

/** MLflow's searchable attributes (with its aliases) and the column each reads. */
const ATTRIBUTES: Record<string, { column: RunAttribute; numeric: boolean }> = {
  run_id: { column: 'ID', numeric: false },
  run_name: { column: 'NAME', numeric: false },
  'run name': { column: 'NAME', numeric: false },
  'Run name': { column: 'NAME', numeric: false },
  'Run Name': { column: 'NAME', numeric: false },
  status: { column: 'STATUS', numeric: false },
  user_id: { column: 'CREATED_BY', numeric: false },
  start_time: { column: 'STARTED_AT', numeric: true },
  created: { column: 'STARTED_AT', numeric: true },
  Created: { column: 'STARTED_AT', numeric: true },
  end_time: { column: 'FINISHED_AT', numeric: true },
};
const ORDER_ONLY: Record<string, RunAttribute> = { experiment_id: 'PROJECT' };
const TAG_COLUMNS: Record<string, RunAttribute> = { [TAG_NAME]: 'NAME', [TAG_USER]: 'CREATED_BY', [TAG_NOTE]: 'NOTE' };

function check(c: Clause, ops: Comparator[], numeric: boolean, what: string): void {
  if (!ops.includes(c.comparator)) throw invalidParameter(`Invalid comparator '${c.comparator}' for ${what} ${c.key}: use one of ${ops.join(', ')}.`);
  if (c.comparator !== 'IN' && c.comparator !== 'NOT IN' && c.numeric !== numeric) {
    throw invalidParameter(numeric ? `Expected a numeric value for ${what} ${c.key}.` : `Expected a quoted string value for ${what} ${c.key} (e.g. 'my-value').`);
  }
}

/** MLflow statuses a condition keeps, as tagfusion's: `status LIKE 'FIN%'` is SUCCEEDED. */
function statusCondition(c: Clause): AttributeCondition {
  const all = Object.keys(MLFLOW_STATUS) as MlflowStatus[];
  const values = Array.isArray(c.value) ? c.value : [String(c.value)];
  const match = (s: string) =>
    c.comparator === 'LIKE' || c.comparator === 'ILIKE' ? likeToRegExp(values[0], c.comparator === 'ILIKE').test(s) : values.includes(s);
  const negate = c.comparator === '!=' || c.comparator === 'NOT IN';
  return { attribute: 'STATUS', op: 'IN', value: all.filter((s) => match(s) !== negate).map((s) => MLFLOW_STATUS[s]) as RunStatus[] };
}

function attributeCondition(c: Clause): AttributeCondition {
  const attribute = ATTRIBUTES[c.key];
  if (!attribute) throw invalidParameter(`Invalid attribute key '${c.key}' specified. Valid keys are ${Object.keys(ATTRIBUTES).join(', ')}.`);
  check(c, attribute.numeric ? NUMBER_OPS : ATTRIBUTE_TEXT_OPS, attribute.numeric, 'attribute');
  if ((c.comparator === 'IN' || c.comparator === 'NOT IN') && attribute.column !== 'ID') {
    throw invalidParameter("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
  }
  if (attribute.column === 'STATUS') return statusCondition(c);
  if (attribute.column === 'ID') {
    // runs are stored under their UUID; MLflow's spelling (no dashes) is compared for patterns
    if (c.comparator === 'LIKE' || c.comparator === 'ILIKE') return { attribute: 'ID_HEX', op: c.comparator, value: c.value };
    const ids = (Array.isArray(c.value) ? c.value : [String(c.value)]).map(toUuid);
    return { attribute: 'ID', op: c.comparator === '=' || c.comparator === 'IN' ? 'IN' : 'NOT IN', value: ids };
  }
  return { attribute: attribute.column, op: c.comparator, value: c.value as string | number };
}

/** A run id as stored; anything else cannot match a run and stays as given. */
const toUuid = (id: string) => {
  const hex = id.toLowerCase().replaceAll('-', '');
  return /^[0-9a-f]{32}$/.test(hex) ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : id;
};

const textCondition = (c: Clause): { equals?: string; notEquals?: string; like?: string; ilike?: string } =>
  ({ '=': { equals: c.value as string }, '!=': { notEquals: c.value as string }, LIKE: { like: c.value as string }, ILIKE: { ilike: c.value as string } })[c.comparator as '=' | '!=' | 'LIKE' | 'ILIKE'];

const NUMBER_KEY = { '=': 'eq', '!=': 'ne', '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' } as const;

/** The runs filter a search's `filter` string asks for (projects and lifecycle are the caller's). */
export function runFilterOf(filter: string | undefined): Pick<RunFilter, 'metrics' | 'params' | 'tags' | 'attributes'> {
  const metrics: MetricCondition[] = [];
  const params: ParamCondition[] = [];
  const tags: TagCondition[] = [];
  const attributes: AttributeCondition[] = [];
  for (const c of parseFilter(filter)) {
    if (c.entity === 'metric') {
      check(c, NUMBER_OPS, true, 'metric');
      metrics.push({ ...parseMetricKey(c.key), aggregate: 'LAST', [NUMBER_KEY[c.comparator as keyof typeof NUMBER_KEY]]: c.value as number });
    } else if (c.entity === 'param') {
      check(c, TEXT_OPS, false, 'param');
      params.push({ key: c.key, ...textCondition(c) });
    } else if (c.entity === 'tag') {
      check(c, TEXT_OPS, false, 'tag');
      const column = TAG_COLUMNS[c.key];
      if (column) attributes.push({ attribute: column, op: c.comparator, value: c.value as string });
      else tags.push({ key: c.key, ...textCondition(c) });
    } else if (c.entity === 'attribute') attributes.push(attributeCondition(c));
    else throw invalidParameter('Filtering runs by dataset is not supported by this server.');
  }
  return { metrics, params, tags, attributes };
}

/** The sorts an `order_by` list asks for, in turn. */
export function runSortsOf(orderBy: unknown[]): RunSort[] {
  return orderBy.map((raw) => {
    if (typeof raw !== 'string') throw invalidParameter("Invalid value for parameter 'order_by': must be a list of strings.");
    const { entity, key, ascending } = parseOrderBy(raw);
    const direction = ascending ? 'ASC' : 'DESC';
    if (entity === 'metric') return { key: { metric: { ...parseMetricKey(key), aggregate: 'LAST' } }, direction };
    if (entity === 'param') return { key: { param: key }, direction };
    if (entity === 'tag') return { key: TAG_COLUMNS[key] ? { attribute: TAG_COLUMNS[key] } : { tag: key }, direction };
    const attribute = entity === 'attribute' ? (ATTRIBUTES[key]?.column ?? ORDER_ONLY[key]) : undefined;
    if (!attribute) throw invalidParameter(`Invalid order_by key '${key}': use metrics.*, params.*, tags.* or an attribute (${[...Object.keys(ATTRIBUTES), ...Object.keys(ORDER_ONLY)].join(', ')}).`);
    return { key: { attribute: attribute === 'ID' ? 'ID_HEX' : attribute }, direction };
  });
}
