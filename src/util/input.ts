import { z } from 'zod';
import { errors } from '../errors.js';

/**
 * The rules every string and number from a caller obeys, as zod building blocks for services and
 * as plain checks for the GraphQL argument guard (src/resolvers/input-guard.ts), so both word a
 * problem the same way and name the field it is in.
 */

/** Ours are UUIDs or sequence numbers; anything this long is not an id of ours. */
export const MAX_ID_LENGTH = 200;
/**
 * Largest magnitude of a number. No metric, hyperparameter or threshold comes near it, and below
 * it a product of two values (1e200) or a sum of billions stays finite in a float64, so
 * comparisons, means and summaries never turn into Infinity (1.8e308 is already Infinity).
 */
export const MAX_MAGNITUDE = 1e100;
/** Nesting of a JSON value (a config, encoder options): configs are a few levels deep. */
export const MAX_JSON_DEPTH = 32;
/** A key of a JSON object: a name, not a document. */
export const MAX_JSON_KEY_LENGTH = 200;

/** Why a string is refused, or null. Postgres text cannot hold NUL; `max` is in characters. */
export function stringProblem(s: string, max: number): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL characters';
  if (s.length > max) return `must be at most ${max} characters`;
  return null;
}

/** Why a number is refused, or null. */
export function numberProblem(n: number): string | null {
  if (!Number.isFinite(n) || Math.abs(n) > MAX_MAGNITUDE) return `must be a finite number within ±${MAX_MAGNITUDE.toExponential().replace('+', '')}`;
  return null;
}

export type Path = (string | number)[];

/**
 * The first problem of a JSON value (strings as `stringProblem` with `maxString`, numbers as
 * `numberProblem`, keys, depth), with where it is. Keys are never echoed: a bad key is reported
 * on its object.
 */
export function jsonProblem(value: unknown, maxString: number, path: Path = [], depth = 0): { path: Path; message: string } | null {
  if (typeof value === 'string') return at(path, stringProblem(value, maxString));
  if (typeof value === 'number') return at(path, numberProblem(value));
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_JSON_DEPTH) return { path, message: `must not nest deeper than ${MAX_JSON_DEPTH} levels` };
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  for (const [key, v] of entries) {
    if (typeof key === 'string') {
      const bad = stringProblem(key, MAX_JSON_KEY_LENGTH);
      if (bad) return { path, message: `its keys ${bad}` };
    }
    const problem = jsonProblem(v, maxString, [...path, key], depth + 1);
    if (problem) return problem;
  }
  return null;
}

const at = (path: Path, message: string | null) => (message ? { path, message } : null);

/** `params[3].value`: the field as a caller wrote it. */
export const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, p) => (typeof p === 'number' ? `${out}[${p}]` : out ? `${out}.${String(p)}` : String(p)), '');

/** A string of at most `max` characters without NUL. */
export const safeString = (max: number) =>
  z.string().superRefine((s, ctx) => {
    const problem = stringProblem(s, max);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A safe string with something in it besides blanks. */
export const nonBlank = (max: number) => safeString(max).refine((s) => s.trim().length > 0, 'must not be empty');

/** A number within ±MAX_MAGNITUDE. */
export const finiteNumber = () =>
  z.number({ error: numberProblem(Infinity)! }).superRefine((n, ctx) => {
    const problem = numberProblem(n);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** The id of a row: never empty, never NUL, never longer than MAX_ID_LENGTH. */
export const id = () => nonBlank(MAX_ID_LENGTH);

/** A JSON object (a config, encoder options) whose strings, numbers, keys and depth obey the rules. */
export const jsonObject = (maxString: number) =>
  z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }).superRefine((o, ctx) => {
    const problem = jsonProblem(o, maxString);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  });

/** Parses input with a schema; the first problem becomes BAD_INPUT naming the field. */
export function parseInput<T extends z.ZodType>(schema: T, raw: unknown): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = formatPath(issue.path);
    throw errors.badInput(`${field || 'input'}: ${issue.message}`, { field });
  }
  return parsed.data;
}
