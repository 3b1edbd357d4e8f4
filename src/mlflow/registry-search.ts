import { invalidParameter } from './errors.js';

/**
 * MLflow's registry search grammar (mlflow/utils/search_utils.py, SearchModelUtils and
 * SearchModelVersionUtils): conditions joined by AND, each `<key> <comparator> <value>` with
 * string values in quotes. Keys: `name`, `tags.<key>` (backticks around a key with spaces), and
 * for versions `run_id`, `source_path`, `version_number`. Comparators: =, !=, LIKE, ILIKE, and IN
 * (run_id only). Registries hold hundreds of models, so the search runs over rows in memory.
 */
export interface Condition {
  key: string;
  /** the tag's key for `tags.*` */
  tag?: string;
  comparator: '=' | '!=' | 'LIKE' | 'ILIKE' | 'IN';
  values: string[];
}

const TOKEN = /\s*(?:(`[^`]*`|[A-Za-z_][\w.]*(?:`[^`]*`)?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\d+)|(!=|=|\(|\)|,)|(\S))/gy;

function tokens(filter: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < filter.length && (m = TOKEN.exec(filter))) {
    if (m[4]) throw invalidParameter(`Invalid filter: unexpected character at position ${m.index + m[0].length - 1}.`);
    out.push(m[1] ?? m[2] ?? m[3]);
  }
  if (filter.trim() && !out.length) throw invalidParameter('Invalid filter.');
  return out;
}

/** A value token: a quoted string, or a whole number (version_number = 3). */
const isValue = (t: string | undefined) => !!t && /^['"\d]/.test(t);
const unquote = (t: string) => (/^\d/.test(t) ? t : t.slice(1, -1).replace(/\\(.)/g, '$1'));

/** Parses a filter over the given keys; an empty filter is no condition. */
export function parseFilter(filter: unknown, keys: readonly string[]): Condition[] {
  if (filter === undefined || filter === null || filter === '') return [];
  if (typeof filter !== 'string' || filter.length > 4096) throw invalidParameter('Invalid filter: it must be a string of at most 4096 characters.');
  const t = tokens(filter);
  const out: Condition[] = [];
  for (let i = 0; i < t.length; ) {
    const ident = t[i++];
    const tag = /^(?:tags?)\.(.+)$/i.exec(ident);
    const key = tag ? 'tags' : ident.toLowerCase();
    if (!tag && !keys.includes(key)) throw invalidParameter(`Invalid filter: the key at condition ${out.length + 1} is not one of ${[...keys, 'tags.<key>'].join(', ')}.`);
    const op = (t[i++] ?? '').toUpperCase();
    const cond: Condition = { key, comparator: op as Condition['comparator'], values: [], ...(tag ? { tag: tag[1].replace(/^`(.*)`$/, '$1') } : {}) };
    if (op === 'IN') {
      if (key !== 'run_id') throw invalidParameter('Invalid filter: IN applies to run_id only.');
      if (t[i++] !== '(') throw invalidParameter('Invalid filter: IN takes a list in parentheses.');
      while (isValue(t[i])) {
        cond.values.push(unquote(t[i++]));
        if (t[i] === ',') i++;
      }
      if (t[i++] !== ')' || !cond.values.length) throw invalidParameter('Invalid filter: IN takes a list of quoted values in parentheses.');
    } else if (['=', '!=', 'LIKE', 'ILIKE'].includes(op)) {
      if (!isValue(t[i])) throw invalidParameter(`Invalid filter: condition ${out.length + 1} needs a quoted string value.`);
      cond.values.push(unquote(t[i++]));
    } else throw invalidParameter(`Invalid filter: condition ${out.length + 1} needs one of =, !=, LIKE, ILIKE, IN.`);
    out.push(cond);
    if (i < t.length && t[i++].toUpperCase() !== 'AND') throw invalidParameter('Invalid filter: conditions are joined by AND.');
  }
  return out;
}

/** SQL LIKE as a regular expression: % any run of characters, _ one character. */
const likeRegex = (pattern: string, flags: string) => new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, `s${flags}`);

/** Whether a row's value (undefined: the row has no such tag) meets the condition. */
export function meets(value: string | undefined, c: Condition): boolean {
  if (value === undefined) return false;
  switch (c.comparator) {
    case '=':
      return value === c.values[0];
    case '!=':
      return value !== c.values[0];
    case 'LIKE':
      return likeRegex(c.values[0], '').test(value);
    case 'ILIKE':
      return likeRegex(c.values[0], 'i').test(value);
    case 'IN':
      return c.values.includes(value);
  }
}

/** `order_by` clauses (`name`, `name DESC`…) over the allowed keys, as [key, descending]. */
export function parseOrderBy(raw: unknown, keys: readonly string[]): [string, boolean][] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((clause) => {
    const m = typeof clause === 'string' ? /^\s*`?([\w.]+)`?\s*(ASC|DESC)?\s*$/i.exec(clause) : null;
    const key = m?.[1].toLowerCase() === 'timestamp' ? 'last_updated_timestamp' : m?.[1].toLowerCase();
    if (!m || !key || !keys.includes(key)) throw invalidParameter(`Invalid order_by clause: order by one of ${keys.join(', ')}, with ASC or DESC.`);
    return [key, m[2]?.toUpperCase() === 'DESC'];
  });
}

/** max_results as MLflow reads it: a whole number from 1 to `max`. */
export function maxResults(raw: unknown, fallback: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalidParameter(`Invalid value for max_results: it must be a whole number from 1 to ${max}.`);
  return n;
}

/** Page tokens are base64 of {"offset": n}, as MLflow's SQL store writes them. */
export function pageOffset(raw: unknown): number {
  if (raw === undefined || raw === '') return 0;
  try {
    const offset = JSON.parse(Buffer.from(String(raw), 'base64').toString('utf8')).offset;
    if (Number.isInteger(offset) && offset >= 0 && offset < 1e9) return offset;
  } catch {
    // answered below
  }
  throw invalidParameter('Invalid page token.');
}

/** One page of sorted rows and the token of the next, if any. */
export function page<T>(rows: T[], offset: number, size: number): { rows: T[]; next?: string } {
  const slice = rows.slice(offset, offset + size);
  const more = offset + size < rows.length;
  return { rows: slice, ...(more ? { next: Buffer.from(JSON.stringify({ offset: offset + size })).toString('base64') } : {}) };
}
