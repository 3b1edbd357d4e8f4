import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isAppError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * Catalogue errors reach the client with their code and message. Errors graphql-js raises about
 * the request itself (syntax, validation, limits, variable types) are shown as it words them.
 * Anything else is masked as INTERNAL with an id, logged with its stack.
 */
export function createErrorFormatter(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isAppError(original)) {
      return { message: original.message, path: formatted.path, extensions: { code: original.code, ...original.details } };
    }
    if (original instanceof GraphQLError && !original.originalError) {
      const code = formatted.extensions?.code;
      return { ...formatted, extensions: { ...formatted.extensions, code: typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR' ? code : 'BAD_REQUEST' } };
    }
    const errorId = randomUUID();
    log.error({ err: original, errorId, path: formatted.path }, 'internal error in a GraphQL request');
    return { message: `Internal server error (id ${errorId}).`, path: formatted.path, extensions: { code: 'INTERNAL', errorId } };
  };
}
