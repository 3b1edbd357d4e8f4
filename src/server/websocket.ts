import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { identify, wsAuthorization, WS_FORBIDDEN, WS_UNAUTHORIZED, type WsAuth } from '../auth/transport.js';
import type { AuthService } from '../auth/service.js';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from '../resolvers/context.js';
import { assertQueryCost, BODY_LIMIT_BYTES, PRE_AUTH_LIMIT_BYTES, QUERY_LIMITS } from './limits.js';
import { refusal, type OriginPolicy } from './request-guard.js';

/** How often open connections' tokens are checked again: a revoked token's subscriptions end within this. */
export const TOKEN_RECHECK_MS = 2_000;

export interface GraphQLWebSocket {
  close(): Promise<void>;
}

interface Options {
  schema: GraphQLSchema;
  rules: ValidationRule[];
  auth: AuthService;
  policy: OriginPolicy;
  log: Logger;
  context(who: Pick<GraphQLContext, 'actor' | 'unauthenticated'>): GraphQLContext;
}

/** Refuses an upgrade with a plain HTTP answer (the socket was never a WebSocket). */
function refuseUpgrade(socket: Duplex, status: number, reason: string) {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * graphql-ws on `/graphql` of the HTTP server. The upgrade is checked first (Host in open mode,
 * Origin in every mode, and an Authorization header when a client sends one), frames are capped
 * at the HTTP body limit, and until `connection_init` is accepted at a few KiB. Required mode
 * takes the token as the `authorization` connection parameter (browsers cannot set headers on
 * a WebSocket): none closes with 4401, an unknown or revoked one with 4403.
 */
export function startGraphQLWebSocket(httpServer: Server, o: Options): GraphQLWebSocket {
  // maxPayload makes ws refuse a larger frame from its header, before buffering it (close 1009).
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: BODY_LIMIT_BYTES });
  const accepted = new WeakSet<WebSocket>();
  const authorised = new Map<WebSocket, unknown>();

  httpServer.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/graphql') return refuseUpgrade(socket, 404, 'Not Found');
    const refused = refusal(req, o.policy, true);
    if (refused) return refuseUpgrade(socket, 403, 'Forbidden');
    const header = req.headers.authorization;
    const check = header && o.auth.mode === 'required' ? identify(o.auth, header) : Promise.resolve({ unauthenticated: undefined });
    check.then(
      ({ unauthenticated }) => {
        if (unauthenticated) return refuseUpgrade(socket, 401, 'Unauthorized');
        wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
      },
      () => refuseUpgrade(socket, 503, 'Service Unavailable'),
    );
  });

  // Registered before graphql-ws's own listener, so it sees each message first.
  wsServer.on('connection', (ws) => {
    ws.on('message', (data: Buffer) => {
      if (!accepted.has(ws) && data.length > PRE_AUTH_LIMIT_BYTES) ws.close(1009, 'Message too big before connection_init');
    });
    ws.on('close', () => authorised.delete(ws));
  });

  const cleanup = useServer(
    {
      schema: o.schema,
      onConnect: async (ctx) => {
        const authorization = wsAuthorization(ctx.connectionParams) ?? ctx.extra.request.headers.authorization;
        const { actor, unauthenticated } = await identify(o.auth, authorization);
        if (unauthenticated) {
          ctx.extra.socket.close(authorization ? WS_FORBIDDEN : WS_UNAUTHORIZED, authorization ? 'Forbidden: unknown or revoked API token' : 'Unauthorized: no API token');
          return false;
        }
        Object.assign(ctx.extra, { authorization, actor } satisfies WsAuth);
        accepted.add(ctx.extra.socket);
        if (o.auth.mode === 'required') authorised.set(ctx.extra.socket, authorization);
        return true;
      },
      // The same limits as HTTP: a subscription document is validated before it is run, and the
      // token is checked again, so a token revoked while connected starts nothing new.
      onSubscribe: async (ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query, { maxTokens: QUERY_LIMITS.maxTokens });
        } catch (err) {
          return [err as GraphQLError];
        }
        const errs = validate(o.schema, document, [...specifiedRules, ...o.rules]);
        if (errs.length) return errs;
        try {
          assertQueryCost(o.schema, document, payload.variables ?? undefined, payload.operationName);
        } catch (err) {
          return [err as GraphQLError];
        }
        const who = await identify(o.auth, (ctx.extra as WsAuth).authorization);
        if (who.unauthenticated) return [new GraphQLError(who.unauthenticated.message, { extensions: { code: who.unauthenticated.code } })];
        return { schema: o.schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue: o.context(who) } as ExecutionArgs;
      },
      onError: (_ctx, _id, _payload, errs) => {
        o.log.warn({ errors: errs.map((e) => e.message) }, 'subscription error');
      },
    },
    wsServer,
  );

  // Running subscriptions do not ask for the token again, so connections are checked on a timer:
  // one lookup per distinct token, and a revoked one's sockets close with 4403.
  const recheck = setInterval(() => void recheckTokens(), TOKEN_RECHECK_MS).unref();
  async function recheckTokens() {
    const byToken = new Map<unknown, WebSocket[]>();
    for (const [ws, authorization] of authorised) byToken.set(authorization, [...(byToken.get(authorization) ?? []), ws]);
    for (const [authorization, sockets] of byToken) {
      const who = await identify(o.auth, authorization).catch(() => undefined);
      if (!who?.unauthenticated) continue;
      for (const ws of sockets) {
        authorised.delete(ws);
        ws.close(WS_FORBIDDEN, 'Forbidden: API token revoked');
      }
    }
  }

  // Apollo's drain and our own close both end here; the second call must not close ws twice.
  let closing: Promise<void> | undefined;
  return {
    close: () => {
      clearInterval(recheck);
      // Closes every client and the WebSocket server itself.
      closing ??= Promise.resolve(cleanup.dispose());
      return closing;
    },
  };
}
