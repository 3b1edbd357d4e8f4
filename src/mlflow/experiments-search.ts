import type { App } from '../app.js';
import type { Project } from '../db/generated/client.js';
import { experimentJson } from './convert.js';
import { invalidParameter } from './errors.js';
import { likeToRegExp, parseFilter, parseOrderBy, type Clause } from './search-filter.js';
import { decodePageToken, encodePageToken, enumField, maxResults, repeated, optionalString, type Fields } from './tracking-input.js';

/**
 * MLflow's `experiments/search`: a filter over name, tags and the two times, `order_by` over
 * name, id and the times, view types and page tokens. Projects are few (a team's hundreds), so
 * they are read whole and filtered here, with MLflow's in-memory semantics (search_utils.py).
 */
const VIEW = { ACTIVE_ONLY: 'ACTIVE', DELETED_ONLY: 'DELETED', ALL: 'ALL' } as const;
const MAX_RESULTS = 50_000;
const TIMES: Record<string, (p: Project) => number> = { creation_time: (p) => p.createdAt.getTime(), last_update_time: (p) => p.updatedAt.getTime() };

function matcher(c: Clause): (p: Project) => boolean {
  const text = c.entity === 'attribute' && c.key === 'name' ? (p: Project) => p.name : c.entity === 'tag' ? (p: Project) => (p.tags as Record<string, string>)[c.key] : undefined;
  if (text) {
    if (c.numeric || Array.isArray(c.value)) throw invalidParameter(`Expected a quoted string value for ${c.key}.`);
    const value = c.value as string;
    const test: Record<string, (v: string) => boolean> = {
      '=': (v) => v === value,
      '!=': (v) => v !== value,
      LIKE: (v) => likeToRegExp(value, false).test(v),
      ILIKE: (v) => likeToRegExp(value, true).test(v),
    };
    if (!test[c.comparator]) throw invalidParameter(`Invalid comparator '${c.comparator}' for ${c.key}: use one of =, !=, LIKE, ILIKE.`);
    return (p) => text(p) !== undefined && test[c.comparator](text(p)!);
  }
  const time = c.entity === 'attribute' ? TIMES[c.key] : undefined;
  if (!time) throw invalidParameter(`Invalid filter key '${c.key}': experiments are searched by name, tags.<key>, creation_time and last_update_time.`);
  if (!c.numeric) throw invalidParameter(`Expected a numeric value for ${c.key}.`);
  const n = c.value as number;
  const test: Record<string, (v: number) => boolean> = { '=': (v) => v === n, '!=': (v) => v !== n, '>': (v) => v > n, '>=': (v) => v >= n, '<': (v) => v < n, '<=': (v) => v <= n };
  if (!test[c.comparator]) throw invalidParameter(`Invalid comparator '${c.comparator}' for ${c.key}.`);
  return (p) => test[c.comparator](time(p));
}

const ORDER_KEYS: Record<string, (p: Project) => string | number> = { name: (p) => p.name, experiment_id: (p) => p.id, ...TIMES };

/** Compares by each `order_by` entry in turn; MLflow's default is newest first, ties by id. */
function comparator(orderBy: unknown[]): (a: Project, b: Project) => number {
  const entries = (orderBy.length ? orderBy : ['creation_time DESC', 'experiment_id ASC']).map((raw) => {
    if (typeof raw !== 'string') throw invalidParameter("Invalid value for parameter 'order_by': must be a list of strings.");
    const { entity, key, ascending } = parseOrderBy(raw);
    const get = entity === 'attribute' ? ORDER_KEYS[key] : undefined;
    if (!get) throw invalidParameter(`Invalid order_by key '${key}': use name, experiment_id, creation_time or last_update_time.`);
    return { get, sign: ascending ? 1 : -1 };
  });
  entries.push({ get: ORDER_KEYS.experiment_id, sign: -1 });
  return (a, b) => {
    for (const { get, sign } of entries) {
      const [x, y] = [get(a), get(b)];
      if (x !== y) return (x < y ? -1 : 1) * sign;
    }
    return 0;
  };
}

export async function searchExperiments(app: App, input: Fields) {
  const first = maxResults(input, 1_000, MAX_RESULTS);
  const offset = decodePageToken(input);
  const lifecycle = VIEW[enumField(input, 'view_type', ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const, 'ACTIVE_ONLY')];
  const tests = parseFilter(optionalString(input, 'filter')).map(matcher);
  const order = comparator(repeated(input, 'order_by'));
  const all: Project[] = [];
  for (let after: number | null = null; ; ) {
    const page = await app.services.projects.list({ lifecycle }, 1_000, after);
    all.push(...page.projects);
    if (!page.hasMore) break;
    after = page.projects.at(-1)!.id;
  }
  const found = all.filter((p) => tests.every((t) => t(p))).sort(order);
  const page = found.slice(offset, offset + first);
  return {
    ...(page.length ? { experiments: page.map(experimentJson) } : {}),
    ...(offset + first < found.length ? { next_page_token: encodePageToken(offset + first) } : {}),
  };
}
