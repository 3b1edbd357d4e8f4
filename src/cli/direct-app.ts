import { startApp, type App } from '../app.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';

/**
 * Opens the app for a command that acts on the database directly (export, gc), working no jobs.
 * Its logs go to stderr, so what the command prints on stdout is data only, even when the start
 * applies migrations.
 */
export async function withDirectApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const app = await startApp(config, { workJobs: false, logger: createLogger(config.logLevel, process.stderr) });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
