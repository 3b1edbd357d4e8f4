import type { App } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';

/**
 * Starts the app for a command that prints data (tables, `--json`): its logs go to stderr, so
 * stdout holds only what the command prints, even when the start applies migrations or a job
 * it works logs its progress. `serve` and `worker` are servers and log to stdout.
 */
export async function startCliApp(config: Config, options: { workJobs: boolean; allJobs?: boolean }): Promise<App> {
  // Imported here, not above: the database client and TF.js cost seconds to load, which a
  // command sent to a running server (src/cli/remote) never needs.
  const { startApp } = await import('../app.js');
  return startApp(config, {
    workJobs: options.workJobs,
    // A command works the jobs it queues, not ones an earlier (interrupted) command left behind;
    // `tagfusion jobs work` works every one.
    ownJobsOnly: options.workJobs && !options.allJobs,
    logger: createLogger(config.logLevel, process.stderr),
  });
}

/** Opens the app for a command that acts on the database directly (export, gc, token), working no jobs. */
export async function withDirectApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await startCliApp(loadConfig(), { workJobs: false });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
