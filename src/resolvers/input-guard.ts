import { defaultFieldResolver, isInputObjectType, isListType, isNonNullType, isObjectType, isScalarType, type GraphQLArgument, type GraphQLInputType, type GraphQLSchema } from 'graphql';
import { errors } from '../errors.js';
import { formatPath, jsonProblem, MAX_ID_LENGTH, numberProblem, stringProblem, type Path } from '../util/input.js';

/**
 * Longest String argument or input field unless listed below. Names, paths, URLs, captions and
 * messages are far shorter; services set tighter limits per field. Without a floor a 1 MB name
 * reaches a btree index (at most 2,704 bytes a row) and fails inside the database.
 */
export const MAX_STRING_LENGTH = 10_000;
/** Fields that carry data rather than text: bounded by the HTTP body limit and their service. */
const LONG_FIELDS: Readonly<Record<string, number>> = { 'PredictionImageInput.base64': Number.POSITIVE_INFINITY };

/** The first problem of a value of a GraphQL input type, with where it is. */
function problemOf(type: GraphQLInputType, value: unknown, path: Path, max = MAX_STRING_LENGTH): { path: Path; message: string } | null {
  if (value == null) return null;
  if (isNonNullType(type)) return problemOf(type.ofType, value, path, max);
  if (isListType(type)) {
    if (!Array.isArray(value)) return problemOf(type.ofType, value, path, max);
    for (const [i, item] of value.entries()) {
      const problem = problemOf(type.ofType, item, [...path, i], max);
      if (problem) return problem;
    }
    return null;
  }
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
      const field = fields[name];
      const problem = field && problemOf(field.type, v, [...path, name], LONG_FIELDS[`${type.name}.${name}`]);
      if (problem) return problem;
    }
    return null;
  }
  if (!isScalarType(type)) return null; // enums are checked by graphql-js
  const message =
    type.name === 'String' && typeof value === 'string' ? stringProblem(value, max)
    : type.name === 'ID' && typeof value === 'string' ? stringProblem(value, MAX_ID_LENGTH)
    : type.name === 'Float' && typeof value === 'number' ? numberProblem(value)
    : null;
  if (message) return { path, message };
  return type.name === 'JSON' ? jsonProblem(value, max, path) : null;
}

/** Throws BAD_INPUT naming the first argument (and field inside it) that breaks the rules. */
export function checkArguments(defs: readonly GraphQLArgument[], args: Record<string, unknown>): void {
  for (const def of defs) {
    // `input` is the usual single argument of a mutation: its fields are named as in services' errors.
    const problem = problemOf(def.type, args[def.name], def.name === 'input' ? [] : [def.name]);
    if (problem) {
      const field = formatPath(problem.path) || def.name;
      throw errors.badInput(`${field}: ${problem.message}`, { field });
    }
  }
}

/**
 * Wraps every field that takes arguments (in place) so that its arguments are checked before it
 * resolves: no NUL character (Postgres text refuses it), no string past its limit, no number
 * beyond ±1e100 (GraphQL parses the literal 1.8e308 as Infinity), in plain arguments and inside
 * JSON values. A field added later is covered without anyone remembering to.
 */
export function guardArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!field.args.length) continue;
      const subscribe = field.subscribe;
      if (subscribe) field.subscribe = (src, args, ctx, info) => (checkArguments(field.args, args), subscribe(src, args, ctx, info));
      else {
        const resolve = field.resolve ?? defaultFieldResolver;
        field.resolve = (src, args, ctx, info) => (checkArguments(field.args, args), resolve(src, args, ctx, info));
      }
    }
  }
  return schema;
}
