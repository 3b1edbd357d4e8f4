import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, parse, specifiedRules, validate, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { App } from '../app.js';
import { dashboardRoutes } from './dashboards.js';
import { projectRoot } from '../paths.js';
import { submissionRoute } from '../prediction/http.js';
import { LOCAL_ADMIN } from '../registry/actor.js';
import type { GraphQLContext } from '../resolvers/context.js';
import { buildSchema } from '../resolvers/index.js';
import { createLoaders } from '../resolvers/loaders.js';
import { createErrorFormatter } from './errors.js';
import { assertQueryCost, limitRules } from './limits.js';

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
  const context = (): GraphQLContext => ({
    services: app.services,
    loaders: createLoaders(app.services),
    requestId: randomUUID(),
    worksJobs: Boolean(app.runner),
    databaseKind: app.db.kind,
    actor: LOCAL_ADMIN,
  });

  const expressApp = express();
  const httpServer = createServer(expressApp);
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer(
    {
      schema,
      context,
      // The same limits as HTTP: a subscription document is validated before it is run.
      onSubscribe: (_ctx, _id, payload) => {
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
        return { schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue: context() } as ExecutionArgs;
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
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
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
  expressApp.get('/predictions/:id/submission.csv', submissionRoute(app.services.predictions));
  expressApp.use('/graphql', express.json({ limit: '2mb' }), expressMiddleware(apollo, { context: async () => context() }));
  expressApp.use(dashboardRoutes(app));
  const dashboards = join(projectRoot, 'dashboards', 'dist');
  if (existsSync(dashboards)) expressApp.use(express.static(dashboards));
  else expressApp.get('/', (_req, res) => void res.type('text/html').send(placeholderPage));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => resolve());
  });
  const address = httpServer.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}/graphql`;
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
