import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { GraphQLError, getNamedType, isInputObjectType, isListType, getNullableType, typeFromAST, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';

/**
 * Lexical tokens a query may hold: the parser stops at the first one past it, so a huge query
 * costs little before it is refused (a 1.8 MB one used to hold the main thread 4.5 s). The
 * largest operation the dashboards, CLI and tests send has 122; values belong in variables,
 * which are not counted.
 */
const MAX_TOKENS = 5_000;

/** The largest request body (HTTP) and message (WebSocket) from an authenticated caller. */
export const BODY_LIMIT_BYTES = 2 * 1024 * 1024;

/**
 * The largest body before the caller is known: an HTTP request without a token (which may ask
 * only for open fields such as `health`), or a WebSocket message before `connection_init` is accepted.
 */
export const PRE_AUTH_LIMIT_BYTES = 64 * 1024;

/**
 * Query limits, checked before execution on HTTP and WebSocket alike. MLflow's /graphql had a
 * denial-of-service CVE for lacking them: a few nested or aliased fields multiply the work.
 * Depth 10 fits run → children → params with room. The cost of a page of 50 runs with params,
 * summaries and class metrics is about 6 000 points; a page of 500 with all of that, 60 000.
 */
export const QUERY_LIMITS = { maxDepth: 10, maxAliases: 15, maxCost: 75_000, maxTokens: MAX_TOKENS } as const;

/** Assumed length of a list that has no `first` argument (children, params, classes…). */
const UNPAGED_LIST_SIZE = 10;

export function limitRules(): ValidationRule[] {
  // Report through the validation context (a normal validation error) rather than throwing,
  // which Apollo would treat as an unexpected failure.
  const report = [(ctx: { reportError(e: GraphQLError): void } | null, err: GraphQLError) => ctx?.reportError(err)];
  return [
    maxDepthRule({ n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, exposeLimits: true, flattenFragments: true, propagateOnRejection: false, onReject: report as never }),
    maxAliasesRule({ n: QUERY_LIMITS.maxAliases, exposeLimits: true, propagateOnRejection: false, onReject: report as never }),
  ] as ValidationRule[];
}

/**
 * Each field costs 1 plus its children's cost times the number of items it can return: the
 * `first` argument (its default included, and from variables too), or UNPAGED_LIST_SIZE for
 * other lists. A connection's own `edges`/`nodes` lists are covered by the connection's `first`.
 */
const pageEstimator: ComplexityEstimator = ({ field, type, args, childComplexity }) => {
  const first = typeof args.first === 'number' ? args.first : undefined;
  const returnsList = isListType(getNullableType(field.type));
  const insideConnection = getNamedType(type).name.endsWith('Connection');
  // A field asked for by ids (compareRuns) answers lists of one item per id where the rule below
  // assumes UNPAGED_LIST_SIZE: scale its children to the ids given.
  const ids = Array.isArray(args.ids) ? args.ids.length : undefined;
  const byIds = ids === undefined ? undefined : returnsList ? ids : Math.max(1, ids / UNPAGED_LIST_SIZE);
  const items = first ?? byIds ?? (returnsList && !insideConnection ? UNPAGED_LIST_SIZE : 1);
  return 1 + items * childComplexity;
};

/**
 * Costs already computed, per parsed document (Apollo and our WebSocket path reuse the parsed
 * document of a repeated query text). The cost depends only on scalar variables (`first`, `ids`,
 * `@include(if:)`), never on input objects: a logMetrics call with 1,000 values need not have
 * them coerced twice (here and by execution) to learn what it already cost last time.
 */
const costCache = new WeakMap<DocumentNode, { scalarVariables: string[]; costs: Map<string, number> }>();
const COSTS_PER_DOCUMENT = 64;

/** The variables of a document that are not input objects: the only ones a cost can depend on. */
function scalarVariables(schema: GraphQLSchema, query: DocumentNode): string[] {
  const names: string[] = [];
  for (const def of query.definitions) {
    if (def.kind !== 'OperationDefinition') continue;
    for (const v of def.variableDefinitions ?? []) {
      const type = typeFromAST(schema, v.type as never);
      if (!type || !isInputObjectType(getNamedType(type))) names.push(v.variable.name.value);
    }
  }
  return names;
}

/** The cost of an operation; throws QUERY_TOO_COMPLEX above the limit. */
export function assertQueryCost(schema: GraphQLSchema, query: DocumentNode, variables: Record<string, unknown> | undefined, operationName?: string | null): number {
  let known = costCache.get(query);
  if (!known) costCache.set(query, (known = { scalarVariables: scalarVariables(schema, query), costs: new Map() }));
  const key = `${operationName ?? ''}\u0000${JSON.stringify(Object.fromEntries(known.scalarVariables.map((name) => [name, variables?.[name]])))}`;
  let cost = known.costs.get(key);
  if (cost === undefined) {
    try {
      cost = getComplexity({ schema, query, variables, operationName: operationName ?? undefined, estimators: [pageEstimator] });
    } catch {
      // Variables that do not fit their types: execution reports that precisely (BAD_USER_INPUT).
      return 0;
    }
    if (known.costs.size >= COSTS_PER_DOCUMENT) known.costs.clear();
    known.costs.set(key, cost);
  }
  if (cost > QUERY_LIMITS.maxCost) {
    throw new GraphQLError(`Query cost limit of ${QUERY_LIMITS.maxCost} exceeded, found ${cost}. Ask for fewer items (first) or fewer nested lists.`, {
      extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost: QUERY_LIMITS.maxCost, http: { status: 400 } },
    });
  }
  return cost;
}
