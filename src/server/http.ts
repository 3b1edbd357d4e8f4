import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { App } from '../app.js';
import { dashboardRoutes } from './dashboards.js';
import { mlflowRoutes } from '../mlflow/index.js';
import { runArtifactRoutes } from '../artifacts/http.js';
import { featureExportRoutes } from '../features/http.js';
import { exportRoutes } from '../export/http.js';
import { projectRoot } from '../paths.js';
import { submissionRoute } from '../prediction/http.js';
import { authPlugin, identifyFirst, requireToken } from '../auth/transport.js';
import { ConfigError, isLoopbackHost } from '../config.js';
import type { GraphQLContext } from '../resolvers/context.js';
import { buildSchema } from '../resolvers/index.js';
import { createLoaders } from '../resolvers/loaders.js';
import { createErrorFormatter } from './errors.js';
import { createMetrics, requestScope } from './metrics.js';
import { httpErrorHandler } from './http-errors.js';
import { assertQueryCost, limitRules, QUERY_LIMITS } from './limits.js';
import { guardRequests, type OriginPolicy } from './request-guard.js';
import { startGraphQLWebSocket } from './websocket.js';
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
  const policy: OriginPolicy = { loopbackHostsOnly: auth.mode === 'open', allowedOrigins: app.config.allowedOrigins };
  const ws = startGraphQLWebSocket(httpServer, { schema, rules, auth, policy, log: app.log, context });

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    validationRules: rules,
    formatError,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
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
      { serverWillStart: async () => ({ drainServer: () => ws.close() }) },
      {
        requestDidStart: async () => ({
          didResolveOperation: async ({ request, document }) => void assertQueryCost(schema, document, request.variables, request.operationName),
        }),
      },
    ],
  });
  await apollo.start();

  expressApp.disable('x-powered-by');
  expressApp.use(guardRequests(policy));
  expressApp.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  // Scrapers send a (viewer) token like any client: the metrics name job kinds and volumes.
  expressApp.get('/metrics', requireToken(auth), metrics.handler);
  expressApp.use('/graphql', requestScope);
  expressApp.get('/predictions/:id/submission.csv', requireToken(auth), submissionRoute(app.services.predictions));
  expressApp.get('/datasets/:id/images/:imageId', requireToken(auth));
  expressApp.use('/graphql', identifyFirst(auth), expressMiddleware(apollo, { context: async ({ res }) => context(res.locals.who) }));
  expressApp.use(mlflowRoutes(app));
  expressApp.use(runArtifactRoutes(app));
  expressApp.use(featureExportRoutes(app));
  expressApp.use(exportRoutes(app));
  expressApp.use(dashboardRoutes(app));
  const dashboards = join(projectRoot, 'dashboards', 'dist');
  if (existsSync(dashboards)) expressApp.use(express.static(dashboards));
  else expressApp.get('/', (_req, res) => void res.type('text/html').send(placeholderPage));
  expressApp.use(httpErrorHandler(app.log));

  const url = `${await listen(httpServer, port, host)}/graphql`;
  return {
    server: httpServer,
    url,
    close: async () => {
      await apollo.stop();
      await ws.close();
    },
  };
}

const placeholderPage = `<!doctype html><meta charset="utf-8"><title>tagfusion</title>
<body style="font-family: system-ui; max-width: 40rem; margin: 3rem auto">
<h1>tagfusion</h1><p>The GraphQL API is at <code>/graphql</code> (HTTP POST and graphql-ws).
The dashboards have not been built on this server.</p></body>`;
