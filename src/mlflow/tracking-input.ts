import { invalidParameter, notFound } from './errors.js';

/**
 * Reading MLflow's request fields as its protobuf JSON parser would: a GET's query gives every
 * value as text (a repeated field as a list), a POST's body gives numbers. int64 fields come as
 * numbers or digit strings, doubles as numbers or "NaN", "Infinity", "-Infinity" (the Python
 * client's protobuf JSON), enums by name or number. Errors name the parameter, never echo it.
 */
export type Fields = Record<string, unknown>;

const missing = (field: string) => invalidParameter(`Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`);
const invalid = (field: string, what: string) => invalidParameter(`Invalid value for parameter '${field}': ${what}.`);

/** A non-repeated field; a query string naming it twice gives the first. */
const single = (input: Fields, field: string): unknown => (Array.isArray(input[field]) ? (input[field] as unknown[])[0] : input[field]);

export function optionalString(input: Fields, field: string): string | undefined {
  const v = single(input, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') throw invalid(field, 'must be a string');
  return v;
}

/** A required string: absent or empty is MLflow's "Missing value for required parameter". */
export function requiredString(input: Fields, field: string): string {
  const v = optionalString(input, field);
  if (!v) throw missing(field);
  return v;
}

/** A required string that may be empty (a tag's or a param's value). */
export function requiredValue(input: Fields, field: string): string {
  const v = optionalString(input, field);
  if (v === undefined) throw missing(field);
  return v;
}

export function optionalInt64(input: Fields, field: string): number | undefined {
  const v = single(input, field);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw invalid(field, 'must be a whole number');
  return n;
}

export function requiredInt64(input: Fields, field: string): number {
  const v = optionalInt64(input, field);
  if (v === undefined) throw missing(field);
  return v;
}

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** A double: a number, a numeric string, or protobuf JSON's "NaN", "Infinity", "-Infinity". */
export function requiredDouble(input: Fields, field: string): number {
  const v = single(input, field);
  if (v === undefined || v === null || v === '') throw missing(field);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v in SPECIAL) return SPECIAL[v];
  if (typeof v === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  throw invalid(field, 'must be a number');
}

/** A double as protobuf JSON writes it: NaN and the infinities as strings. */
export const jsonDouble = (v: number): number | string => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');

/** A repeated field: a list, or one value (a query string naming it once). */
export function repeated(input: Fields, field: string): unknown[] {
  const v = input[field];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** `experiment_ids` as project ids; an id that is no whole number names no experiment, as an unknown one. */
export function experimentIdsOf(input: Fields): number[] {
  return repeated(input, 'experiment_ids')
    .map(String)
    .filter((id) => /^\d{1,10}$/.test(id) && Number(id) < 2 ** 31)
    .map(Number);
}

/** A repeated message: each element must be an object. */
export function messages(input: Fields, field: string): Fields[] {
  return repeated(input, field).map((m) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalid(field, 'must be a list of objects');
    return m as Fields;
  });
}

/** An enum given by name or by number; `fallback` when absent. */
export function enumField<T extends string>(input: Fields, field: string, names: readonly T[], fallback: T): T {
  const v = single(input, field);
  if (v === undefined || v === null || v === '') return fallback;
  const byNumber = typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)) ? names[Number(v) - 1] : undefined;
  const name = byNumber ?? (names as readonly string[]).find((n) => n === v);
  if (!name) throw invalid(field, `must be one of ${names.join(', ')}`);
  return name as T;
}

/**
 * MLflow's run id (32 hex digits) or tagfusion's (the UUID with dashes), as tagfusion stores it.
 * `run_id` is read first, then the deprecated `run_uuid` the Python client sends beside it.
 */
export function runIdOf(input: Fields, field = 'run_id'): string {
  const raw = optionalString(input, field) || (field === 'run_id' ? optionalString(input, 'run_uuid') : undefined);
  if (!raw) throw missing(field);
  const hex = raw.toLowerCase().replace(/^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/, '$1$2$3$4$5');
  if (!/^[0-9a-f]{32}$/.test(hex)) throw notFound(`No run with the ${field} given exists.`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The run id as MLflow spells it. */
export const hexRunId = (id: string) => id.replaceAll('-', '');

/** `max_results`: `fallback` when absent, else between 1 and `max` (MLflow's message). */
export function maxResults(input: Fields, fallback: number, max: number): number {
  const n = optionalInt64(input, 'max_results') ?? fallback;
  if (n < 1 || n > max) throw invalidParameter(`Invalid value for request parameter max_results. It must be between 1 and ${max}.`);
  return n;
}

/** Page tokens are opaque to clients: base64 of `{"offset": n}`, as MLflow's own. */
export const encodePageToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');

export function decodePageToken(input: Fields): number {
  const token = optionalString(input, 'page_token');
  if (!token) return 0;
  try {
    const offset = (JSON.parse(Buffer.from(token, 'base64').toString()) as { offset?: unknown }).offset;
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset > 0 && offset < 1e9) return offset;
  } catch {
    // not JSON: reported below as any other bad token
  }
  throw invalidParameter('Invalid page token: it was not returned by this server for this search.');
}
