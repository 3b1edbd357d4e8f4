import { startApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { redactUrl } from '../logger.js';
import { startHttpServer, type HttpServer } from '../server/http.js';

/** Closes in order on SIGINT/SIGTERM; a second signal exits at once. */
function closeOnSignal(app: App, http?: HttpServer) {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await http?.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

export async function serveCommand(options: { work: boolean }) {
  const config = loadConfig();
  const app = await startApp(config, { workJobs: options.work });
  const http = await startHttpServer(app);
  app.log.info(
    {
      url: http.url,
      database: config.databaseUrl ? redactUrl(config.databaseUrl) : `embedded PGlite in ${config.dataDir}`,
      worksJobs: options.work,
      workerThreads: config.workerThreads,
    },
    `tagfusion listening on ${http.url}`,
  );
  closeOnSignal(app, http);
}

export async function workerCommand() {
  const config = loadConfig();
  const app = await startApp(config, { workJobs: true });
  app.log.info({ workerThreads: config.workerThreads, concurrency: config.jobConcurrency }, 'tagfusion worker started');
  closeOnSignal(app);
}

export async function migrateCommand() {
  const app = await startApp(loadConfig(), { workJobs: false });
  await app.close();
}
