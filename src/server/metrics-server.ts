import { createServer } from 'node:http';
import express from 'express';
import type { App } from '../app.js';
import { requireToken } from '../auth/transport.js';
import { listen } from './listen.js';
import { createMetrics } from './metrics.js';

export interface MetricsServer {
  /** the address of GET /metrics */
  url: string;
  close(): Promise<void>;
}

/**
 * A worker's monitoring port: GET /metrics (Prometheus text, behind a token when auth is
 * required, as on the API servers) and GET /healthz. Job durations are counted by the process
 * that works the jobs, so each worker is scraped itself.
 */
export async function startMetricsServer(app: App, port: number, host = app.config.host): Promise<MetricsServer> {
  const metrics = createMetrics(app);
  const routes = express();
  routes.disable('x-powered-by');
  routes.get('/healthz', (_req, res) => void res.type('text/plain').send('ok'));
  routes.get('/metrics', requireToken(app.services.auth), metrics.handler);
  const server = createServer(routes);
  return {
    url: `${await listen(server, port, host, 'TAGFUSION_METRICS_PORT')}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
