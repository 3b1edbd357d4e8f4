import { z } from 'zod';
import { runIdOf } from '../artifacts/paths.js';
import type { RunStatus } from '../db/generated/enums.js';
import { errors } from '../errors.js';
import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH } from '../projects/input.js';
import type { RunLifecycle } from '../runs/query.js';
import { parseInput, safeString } from '../util/input.js';

/**
 * Which runs an export holds: the GraphQL `runs` filter's plain fields (project, lifecycle,
 * status, kind, tags, name search) and run ids. Everything given must hold.
 */
export interface ExportQuery {
  projectIds?: number[];
  /** UUIDs (MLflow's 32 hex digits are accepted and turned into them) */
  runIds?: string[];
  lifecycle?: RunLifecycle;
  status?: RunStatus[];
  kind?: string[];
  /** the run has tag `key`, with this value when given */
  tags?: { key: string; value?: string }[];
  search?: string;
}

/** Ids or values in one list parameter: enough for any export someone reads, and a bound on the SQL. */
const MAX_LIST = 1_000;
const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
const LIFECYCLES = ['ACTIVE', 'DELETED', 'ALL'] as const;
const KNOWN = ['projectId', 'runId', 'lifecycle', 'status', 'kind', 'tag', 'search'];

/** A repeated parameter (`?runId=a&runId=b`) or a comma-separated one (`?status=FAILED,CANCELLED`), as a list. */
function list(raw: unknown, field: string, { commas = true } = {}): string[] | undefined {
  if (raw === undefined) return undefined;
  const values = (Array.isArray(raw) ? raw : [raw]).map((v) => {
    if (typeof v !== 'string') throw errors.badInput(`${field}: must be given as text (${field}=value), not a nested value`, { field });
    return v;
  });
  const items = commas ? values.flatMap((v) => v.split(',')) : values;
  if (items.length > MAX_LIST) throw errors.badInput(`${field}: at most ${MAX_LIST} values`, { field });
  return items;
}

const text = (max: number) => safeString(max);

/**
 * Reads the query string of an export route (`?projectId=1&status=FAILED&tag=team=vision`). An
 * unknown parameter is BAD_INPUT rather than ignored: a misspelled filter would otherwise export
 * everything.
 */
export function exportQueryOf(query: Record<string, unknown>): ExportQuery {
  const unknown = Object.keys(query).find((k) => !KNOWN.includes(k));
  if (unknown !== undefined) throw errors.badInput(`${unknown.slice(0, 40)}: unknown parameter; use ${KNOWN.join(', ')}`, { field: unknown.slice(0, 40) });
  const out: ExportQuery = {};
  const projectIds = list(query.projectId, 'projectId');
  if (projectIds) {
    out.projectIds = projectIds.map((v) => {
      if (!/^\d{1,10}$/.test(v) || Number(v) > 2 ** 31 - 1) throw errors.badInput('projectId: must be a project id (a whole number)', { field: 'projectId' });
      return Number(v);
    });
  }
  const runIds = list(query.runId, 'runId');
  if (runIds) out.runIds = [...new Set(runIds.map((v) => runIdOf(v, 'runId')))];
  const lifecycle = list(query.lifecycle, 'lifecycle');
  if (lifecycle) out.lifecycle = parseInput(z.object({ lifecycle: z.enum(LIFECYCLES, { error: `must be one of ${LIFECYCLES.join(', ')}` }) }), { lifecycle: lifecycle.at(-1)?.toUpperCase() }).lifecycle;
  const status = list(query.status, 'status');
  if (status) out.status = parseInput(z.object({ status: z.array(z.enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` })) }), { status: status.map((s) => s.toUpperCase()) }).status;
  const kind = list(query.kind, 'kind');
  if (kind) out.kind = parseInput(z.object({ kind: z.array(text(200)) }), { kind }).kind;
  const tags = list(query.tag, 'tag', { commas: false });
  if (tags) {
    // `tag=key=value`: the first '=' ends the key (keys rarely hold one; values often do).
    const pairs = tags.map((t) => (t.includes('=') ? { key: t.slice(0, t.indexOf('=')), value: t.slice(t.indexOf('=') + 1) } : { key: t }));
    out.tags = parseInput(z.object({ tag: z.array(z.object({ key: text(MAX_TAG_KEY_LENGTH).min(1, 'must name a tag: tag=key or tag=key=value'), value: text(MAX_TAG_VALUE_LENGTH).optional() })) }), { tag: pairs }).tag;
  }
  const search = list(query.search, 'search', { commas: false });
  if (search) out.search = parseInput(z.object({ search: text(200) }), { search: search.at(-1) }).search;
  return out;
}
