import { randomUUID } from 'node:crypto';
import type { GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * Apollo refuses some requests before execution with an error that has an HTTP status but no
 * code (a persisted-query hash that does not match its query, an unsupported persisted-query
 * version); its formatter would then call them INTERNAL_SERVER_ERROR. The status says whose
 * mistake it is.
 */
function isRequestRefusal(error: unknown): boolean {
  const status = (error as { extensions?: { http?: { status?: unknown } } } | null)?.extensions?.http?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Catalogue errors reach the client with their code and message. Errors graphql-js raises about
 * the request itself (syntax, validation, limits, variable types) are shown as it words them, and
 * Apollo's refusals of a malformed request as BAD_REQUEST. Anything else is masked as INTERNAL
 * with an id, logged with its stack.
 */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isAppError(original)) {
      return { message: original.message, path: formatted.path, extensions: { code: original.code, ...original.details } };
    }
    // Apollo codes request errors (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, BAD_USER_INPUT…);
    // only INTERNAL_SERVER_ERROR comes from our code. (instanceof GraphQLError is unreliable:
    // libraries may load graphql's CommonJS build beside the ES module one.)
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return formatted;
    if (isRequestRefusal(original)) return { message: formatted.message, extensions: { code: ApolloServerErrorCode.BAD_REQUEST } };
    const errorId = randomUUID();
    log.error({ err: original, errorId, path: formatted.path }, 'internal error in a GraphQL request');
    return { message: `Internal server error (id ${errorId}).`, path: formatted.path, extensions: { code: 'INTERNAL', errorId } };
  };
}
