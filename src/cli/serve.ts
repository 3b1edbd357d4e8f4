import { startApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { redactUrl } from '../logger.js';
import { startHttpServer } from '../server/http.js';
import { startMetricsServer } from '../server/metrics-server.js';
import { advertiseServerUrl } from '../server/url-file.js';

/**
 * On SIGINT/SIGTERM: stops taking requests, drains jobs (stop claiming, let running ones finish
 * for TAGFUSION_DRAIN_SECONDS, hand the rest back to the queue), then closes in order. A second
 * signal exits at once.
 */
function closeOnSignal(app: App, http?: { close(): Promise<void> }) {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    app.log.info({ signal, drainSeconds: app.runner ? app.config.drainSeconds : 0 }, 'shutting down');
    try {
      await http?.close();
      if (http) app.log.info('shutdown: HTTP server closed');
      await app.drain();
      await app.close();
      app.log.info('shutdown: closed');
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

export async function serveCommand(options: { work: boolean }) {
  const loaded = loadConfig();
  // Job threads here share the cores with the API thread: they take only CPU time it leaves.
  const config = { ...loaded, jobCpuPriority: loaded.jobCpuPriority ?? 'idle' } as const;
  const app = await startApp(config, { workJobs: options.work });
  // A port in use: release the database and the queue before the CLI prints why and exits.
  const http = await startHttpServer(app).catch(async (err) => {
    await app.close();
    throw err;
  });
  // For a CLI started on this data folder: it sends its commands here instead of opening the folder.
  process.once('exit', advertiseServerUrl(config.dataDir, http.url));
  app.log.info(
    {
      url: http.url,
      database: config.databaseUrl ? redactUrl(config.databaseUrl) : `embedded PGlite in ${config.dataDir}`,
      worksJobs: options.work,
      workerThreads: config.workerThreads,
      ...(options.work ? { jobCpuPriority: config.jobCpuPriority } : {}),
    },
    `tagfusion listening on ${http.url}`,
  );
  closeOnSignal(app, http);
}

export async function workerCommand() {
  const config = loadConfig();
  const app = await startApp(config, { workJobs: true });
  const monitoring = config.metricsPort
    ? await startMetricsServer(app, config.metricsPort).catch(async (err) => {
        await app.close();
        throw err;
      })
    : undefined;
  app.log.info(
    { workerThreads: config.workerThreads, concurrency: config.jobConcurrency, jobCpuPriority: config.jobCpuPriority ?? 'normal', metrics: monitoring?.url ?? null },
    'tagfusion worker started',
  );
  closeOnSignal(app, monitoring);
}

export async function migrateCommand() {
  const app = await startApp(loadConfig(), { workJobs: false });
  await app.close();
}
