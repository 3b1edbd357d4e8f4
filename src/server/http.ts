import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { App } from '../app.js';
import { dashboardRoutes } from './dashboards.js';
import { projectRoot } from '../paths.js';
import { submissionRoute } from '../prediction/http.js';
import { authPlugin, identify, requireToken, wsAuthorization, WS_FORBIDDEN, WS_UNAUTHORIZED, type WsAuth } from '../auth/transport.js';
import { ConfigError, isLoopbackHost } from '../config.js';
import type { GraphQLContext } from '../resolvers/context.js';
import { buildSchema } from '../resolvers/index.js';
import { createLoaders } from '../resolvers/loaders.js';
import { createErrorFormatter } from './errors.js';
import { createMetrics, requestScope } from './metrics.js';
import { assertQueryCost, limitRules } from './limits.js';
import { listen } from './listen.js';

export interface HttpServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** GraphQL over HTTP and graphql-ws, and the dashboards, on one port. */
export async function startHttpServer(app: App, port = app.config.port, host = app.config.host): Promise<HttpServer> {
  const schema = buildSchema();
  const rules = limitRules();
  const formatError = createErrorFormatter(app.log);
  const metrics = createMetrics(app);
  const { auth } = app.services;
  if (auth.mode === 'open') {
    // loadConfig refuses open mode on other interfaces; this catches a host passed in directly.
    if (!isLoopbackHost(host)) throw new ConfigError(`TAGFUSION_AUTH=open (no API tokens) may listen on a loopback address only, not ${host}.`);
    app.log.warn({ host, auth: 'open' }, 'authentication is off (TAGFUSION_AUTH=open): every caller on this machine acts as the local admin; listening on loopback only');
  }
  const context = (who: Pick<GraphQLContext, 'actor' | 'unauthenticated'>): GraphQLContext => ({
    services: app.services,
    loaders: createLoaders(app.services),
    requestId: randomUUID(),
    worksJobs: Boolean(app.runner),
    databaseKind: app.db.kind,
    ...who,
  });

  const expressApp = express();
  const httpServer = createServer(expressApp);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer(
    {
      schema,
      // Required mode: the token comes as the `authorization` connection parameter. No token
      // closes with 4401, an unknown or revoked one with 4403; each subscription checks it again,
      // so a token revoked while connected starts nothing new.
      onConnect: async (ctx) => {
        const authorization = wsAuthorization(ctx.connectionParams);
        const { actor, unauthenticated } = await identify(auth, authorization);
        if (unauthenticated) {
          ctx.extra.socket.close(authorization ? WS_FORBIDDEN : WS_UNAUTHORIZED, authorization ? 'Forbidden: unknown or revoked API token' : 'Unauthorized: no API token');
          return false;
        }
        Object.assign(ctx.extra, { authorization, actor } satisfies WsAuth);
        return true;
      },
      // The same limits as HTTP: a subscription document is validated before it is run.
      onSubscribe: async (ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [err as GraphQLError];
        }
        const errs = validate(schema, document, [...specifiedRules, ...rules]);
        if (errs.length) return errs;
        try {
          assertQueryCost(schema, document, payload.variables ?? undefined, payload.operationName);
        } catch (err) {
          return [err as GraphQLError];
        }
        const who = await identify(auth, (ctx.extra as WsAuth).authorization);
        if (who.unauthenticated) return [new GraphQLError(who.unauthenticated.message, { extensions: { code: who.unauthenticated.code } })];
        return { schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue: context(who) } as ExecutionArgs;
      },
      onError: (_ctx, _id, _payload, errs) => {
        app.log.warn({ errors: errs.map((e) => e.message) }, 'subscription error');
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    validationRules: rules,
    formatError,
    includeStacktraceInErrorResponses: false,
    // Our CLI closes the server, then the queue and database, in order; Apollo's own handler
    // would re-raise the signal after stopping itself and kill the process mid-shutdown.
    stopOnTerminationSignals: false,
    // Explicit, since Apollo turns it off when NODE_ENV is production: tools and codegen need it,
    // and the schema is no secret (every operation still checks the caller's role).
    introspection: true,
    plugins: [
      // We send no cache hints; without this plugin Apollo wraps every resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      authPlugin,
      metrics.plugin,
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
      {
        requestDidStart: async () => ({
          didResolveOperation: async ({ request, document }) => void assertQueryCost(schema, document, request.variables, request.operationName),
        }),
      },
    ],
  });
  await apollo.start();

  expressApp.disable('x-powered-by');
  expressApp.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  // Scrapers send a (viewer) token like any client: the metrics name job kinds and volumes.
  expressApp.get('/metrics', requireToken(auth), metrics.handler);
  expressApp.use('/graphql', requestScope);
  expressApp.get('/predictions/:id/submission.csv', requireToken(auth), submissionRoute(app.services.predictions));
  expressApp.get('/datasets/:id/images/:imageId', requireToken(auth));
  expressApp.use('/graphql', express.json({ limit: '2mb' }), expressMiddleware(apollo, { context: async ({ req }) => context(await identify(auth, req.headers.authorization)) }));
  expressApp.use(dashboardRoutes(app));
  const dashboards = join(projectRoot, 'dashboards', 'dist');
  if (existsSync(dashboards)) expressApp.use(express.static(dashboards));
  else expressApp.get('/', (_req, res) => void res.type('text/html').send(placeholderPage));

  const url = `${await listen(httpServer, port, host)}/graphql`;
  return {
    server: httpServer,
    url,
    close: async () => {
      await apollo.stop();
      wsServer.close();
    },
  };
}

const placeholderPage = `<!doctype html><meta charset="utf-8"><title>tagfusion</title>
<body style="font-family: system-ui; max-width: 40rem; margin: 3rem auto">
<h1>tagfusion</h1><p>The GraphQL API is at <code>/graphql</code> (HTTP POST and graphql-ws).
The dashboards have not been built on this server.</p></body>`;
