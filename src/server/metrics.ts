import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { App } from '../app.js';
import { isAppError } from '../errors.js';
import { jobDuration, jobCounts } from '../jobs/metrics.js';
import { jobDefinitions } from '../jobs/registry.js';
import { logScope } from '../logger.js';
import { writeGateOf } from '../runs/write-gate.js';
import type { GraphQLContext } from '../resolvers/context.js';

/** Node's own metrics and the per-process histograms: one set per process, however many servers. */
const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });
processRegistry.registerMetric(jobDuration);

const graphqlDuration = new Histogram({
  name: 'tagfusion_graphql_request_duration_seconds',
  help: 'GraphQL requests over HTTP, from receipt to response, by operation type and outcome.',
  labelNames: ['operation', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processRegistry],
});

export interface ServerMetrics {
  /** times each request and logs its errors with the request id */
  plugin: ApolloServerPlugin<GraphQLContext>;
  /** GET /metrics: Prometheus text format */
  handler: RequestHandler;
}

/**
 * Metrics for one HTTP server: the process's, plus the job counts of its database, read on each
 * scrape (a scrape every 15 s costs one grouped count).
 */
export function createMetrics(app: Pick<App, 'db' | 'log'>): ServerMetrics {
  const local = new Registry();
  new Gauge({
    name: 'tagfusion_jobs',
    help: 'Jobs in the database by kind and status; QUEUED is the queue depth.',
    labelNames: ['kind', 'status'] as const,
    registers: [local],
    async collect() {
      this.reset();
      for (const { kind, status, count } of await jobCounts(app.db, jobDefinitions.keys())) this.set({ kind, status }, count);
    },
  });
  new Gauge({
    name: 'tagfusion_metric_writes_waiting',
    help: 'Metric writes (logMetrics, training epochs) of this process waiting for a database writer; SERVER_BUSY past 1,000.',
    registers: [local],
    collect() {
      this.set(writeGateOf(app.db).waiting);
    },
  });
  const registry = Registry.merge([processRegistry, local]);
  return {
    plugin: requestPlugin(app.log),
    handler: async (_req, res) => {
      try {
        const text = await registry.metrics();
        res.type(registry.contentType).send(text);
      } catch (err) {
        app.log.error({ err }, 'metrics scrape failed');
        res.status(500).type('text/plain').send('metrics unavailable');
      }
    },
  };
}

/**
 * Times each GraphQL request and logs the errors it answers with, under its request id. Apollo
 * reads the context before this runs; the request's log scope (see `requestScope`) is given the
 * context's id, so every line logged while serving it, the error formatter's included, has it.
 */
function requestPlugin(log: App['log']): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      const scope = logScope.getStore();
      if (scope) scope.requestId = contextValue.requestId;
      let operation = 'unknown';
      return {
        async didResolveOperation({ operation: op }) {
          operation = op?.operation ?? 'unknown';
        },
        async didEncounterErrors({ errors, operationName }) {
          const summary = errors.map((e) => {
            const original = unwrapResolverError(e);
            return { message: e.message, code: isAppError(original) ? original.code : (e.extensions?.code ?? 'INTERNAL'), path: e.path };
          });
          log.info({ requestId: contextValue.requestId, operationName, errors: summary }, 'GraphQL request answered with errors');
        },
        async willSendResponse({ response, errors }) {
          response.http.headers.set('x-request-id', contextValue.requestId);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          graphqlDuration.observe({ operation, outcome: errors?.length ? 'error' : 'ok' }, seconds);
        },
      };
    },
  };
}

/**
 * Express middleware that opens a log scope for the rest of the request. Mount it before the
 * GraphQL handler on the same path.
 */
export const requestScope: RequestHandler = (_req, _res, next) => logScope.run({}, next);
