import type { ApolloServerPlugin } from '@apollo/server';
import express, { type RequestHandler } from 'express';
import { GraphQLError, Kind, type OperationDefinitionNode } from 'graphql';
import { errors, type AppError } from '../errors.js';
import { BODY_LIMIT_BYTES, PRE_AUTH_LIMIT_BYTES } from '../server/limits.js';
import type { Actor } from '../registry/actor.js';
import type { GraphQLContext } from '../resolvers/context.js';
import { OPEN_FIELDS } from './roles.js';
import { bearerToken } from './secrets.js';
import type { AuthService } from './service.js';

/**
 * Stands in for the caller of a request without a valid token. It is never authorised: the
 * request carries `unauthenticated`, which every guarded field throws first. Its role is no role
 * (requireRole ranks an unknown role below viewer), so even a path that forgot the refusal
 * grants nothing.
 */
export const ANONYMOUS: Actor = Object.freeze({ name: 'anonymous', role: 'none' as Actor['role'] });

/** Who a request acts as, from its Authorization value, or why it is refused. */
export async function identify(auth: AuthService, authorization: unknown): Promise<{ actor: Actor; unauthenticated?: AppError }> {
  const secret = bearerToken(authorization);
  const actor = await auth.authenticate(secret);
  if (actor) return { actor };
  const reason = secret ? 'The API token is unknown or revoked.' : authorization ? 'The Authorization header is not "Bearer <token>".' : 'This request carries no API token.';
  return { actor: ANONYMOUS, unauthenticated: errors.unauthenticated(reason) };
}

/** True when the operation selects only open root fields (`{ health { status } }`). */
function onlyOpenFields(operation: OperationDefinitionNode | undefined): boolean {
  if (!operation || operation.operation !== 'query') return false;
  return operation.selectionSet.selections.every(
    (s) => s.kind === Kind.FIELD && (s.name.value === '__typename' || OPEN_FIELDS.Query.includes(s.name.value)),
  );
}

/**
 * Refuses an unauthenticated HTTP request before it runs, with status 401 and the code
 * UNAUTHENTICATED, unless it asks only for open fields. (The schema's guards would refuse each
 * field anyway, but with status 200 and partial data.)
 */
export const authPlugin: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: async () => ({
    didResolveOperation: async ({ contextValue, operation }) => {
      const refusal = contextValue.unauthenticated;
      if (!refusal || onlyOpenFields(operation)) return;
      throw new GraphQLError(refusal.message, {
        extensions: { code: refusal.code, http: { status: 401, headers: new Map([['www-authenticate', 'Bearer']]) } },
      });
    },
  }),
};

/** Express guard for the plain HTTP routes beside GraphQL (submission files, sample images). */
export function requireToken(auth: AuthService): RequestHandler {
  return (req, res, next) => {
    if (auth.mode === 'open') return next();
    identify(auth, req.headers.authorization).then(({ unauthenticated }) => {
      if (!unauthenticated) return next();
      res.status(401).set('www-authenticate', 'Bearer').json({ error: { code: unauthenticated.code, message: unauthenticated.message } });
    }, next);
  };
}

const parseAuthenticated = express.json({ limit: BODY_LIMIT_BYTES });
const parseAnonymous = express.json({ limit: PRE_AUTH_LIMIT_BYTES });

/**
 * For /graphql: identifies the caller before the body is read, into `res.locals.who`. A token
 * that is presented but unknown or revoked is refused with 401 at once; a request with no token
 * may still ask for the open fields, so its body is read, under a small limit.
 */
export function identifyFirst(auth: AuthService): RequestHandler {
  return (req, res, next) => {
    identify(auth, req.headers.authorization).then((who) => {
      res.locals.who = who;
      if (!who.unauthenticated) return parseAuthenticated(req, res, next);
      if (req.headers.authorization === undefined) return parseAnonymous(req, res, next);
      res
        .status(401)
        .set('www-authenticate', 'Bearer')
        .json({ errors: [{ message: who.unauthenticated.message, extensions: { code: who.unauthenticated.code } }] });
    }, next);
  };
}

/** graphql-ws close codes: no token at all, and a token that is unknown or revoked. */
export const WS_UNAUTHORIZED = 4401;
export const WS_FORBIDDEN = 4403;

/** What a graphql-ws connection remembers between `onConnect` and each subscription. */
export interface WsAuth {
  authorization?: unknown;
  actor?: Actor;
}

/** The `authorization` connection parameter (any capitalisation), as clients send the header. */
export function wsAuthorization(params: Record<string, unknown> | undefined): unknown {
  if (!params) return undefined;
  const key = Object.keys(params).find((k) => k.toLowerCase() === 'authorization');
  return key ? params[key] : undefined;
}
