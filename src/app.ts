import { hostname } from 'node:os';
import { randomInt, randomUUID } from 'node:crypto';
import { ConfigError, type Config } from './config.js';
import { missingForGpu } from './ml/gpu-check.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { DatasetService } from './datasets/service.js';
import { EventBus } from './events/bus.js';
import { WorkerPool } from './jobs/pool.js';
import { JobQueue } from './jobs/queue.js';
import { jobDefinitions } from './jobs/registry.js';
import { JobRunner } from './jobs/runner.js';
import { JobService } from './jobs/service.js';
import { createLogger, type Logger } from './logger.js';
import { DEFAULT_WRITE_GATE, writeGateOf } from './runs/write-gate.js';
import { RunTrackingService } from './runs/tracking.js';
import { ProjectService } from './projects/service.js';
import { RunService } from './runs/service.js';
import { RunComparisonService } from './runs/compare.js';
import { FeatureService } from './features/service.js';
import { TrainingService } from './training/service.js';
import { ExperimentService } from './experiments/service.js';
import { artifactRoot } from './features/paths.js';
import { RegistryService } from './registry/service.js';
import { WebhookService } from './webhooks/service.js';
import { PredictionService } from './prediction/service.js';
import { AuthService } from './auth/service.js';
import { ArtifactService } from './artifacts/service.js';
import { createBlobStore, mountStore } from './storage/mirror.js';
import { schedIdleAvailable } from './workers/cpu-priority.js';

/** The services a resolver or CLI command calls. */
export interface Services {
  datasets: DatasetService;
  runs: RunService;
  /** tags, notes, params, metric points and soft delete from training code outside tagfusion */
  tracking: RunTrackingService;
  /** named containers of runs (MLflow's experiments) */
  projects: ProjectService;
  comparisons: RunComparisonService;
  jobs: JobService;
  features: FeatureService;
  training: TrainingService;
  experiments: ExperimentService;
  registry: RegistryService;
  webhooks: WebhookService;
  predictions: PredictionService;
  /** API tokens and who a request acts as */
  auth: AuthService;
  /** artifact files of any run: upload, download, listing, folders for model versions */
  artifacts: ArtifactService;
}

export interface App {
  config: Config;
  log: Logger;
  db: Database;
  events: EventBus;
  services: Services;
  /** present when this process works jobs */
  runner?: JobRunner;
  /**
   * Graceful shutdown of the job side (SIGTERM): stop claiming, let running jobs finish for
   * TAGFUSION_DRAIN_SECONDS, hand the rest back to the queue. Call before close().
   */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export interface AppOptions {
  /** work queued jobs in this process (server and worker do; a pure API server may not) */
  workJobs: boolean;
  /**
   * work only the jobs this process queues (and the jobs they queue), not older ones others left
   * in the queue: a CLI command's own extraction must not wait behind another dataset's
   */
  ownJobsOnly?: boolean;
  logger?: Logger;
}

/**
 * Opens the database (applying migrations), the event bus, the queue and, when this process
 * works jobs, the worker pool and the job runner. Closing releases them in reverse order.
 */
export async function startApp(config: Config, options: AppOptions): Promise<App> {
  const log = options.logger ?? createLogger(config.logLevel);
  if (config.device === 'gpu' && options.workJobs) await assertGpuReady();
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.databaseUrl ? undefined : config.dataDir });
  const closers: (() => Promise<void>)[] = [() => db.close()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err) => log.error({ err }, 'shutdown step failed'));
  };
  try {
    // Artifacts, feature caches and submissions under the data folder are shared through this store.
    const store = await createBlobStore(config.store, config.dataDir);
    const unmount = mountStore(config.dataDir, store);
    closers.push(async () => {
      unmount();
      store.close();
    });
    if (store.remote) log.info({ store: store.location }, 'artifacts and feature caches are shared through a bucket');
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, 'applied database migrations');
    const events = new EventBus(db, log);
    await events.start();
    closers.push(() => events.close());
    // A command that works only its own jobs sends them with a priority of its own to claim them by.
    const ownPriority = options.ownJobsOnly ? -randomInt(1, 2 ** 31) : undefined;
    const queue = new JobQueue(db, jobDefinitions, log, ownPriority);
    await queue.start();
    closers.push(() => queue.stop());
    const jobs = new JobService(db, queue, events, config.jobStaleSeconds);
    const training = new TrainingService(db, jobs, config);
    const webhooks = new WebhookService(db, jobs, { allowPrivate: config.webhookAllowPrivate });
    const writeGate = { ...DEFAULT_WRITE_GATE, writers: config.metricWriters };
    const services: Services = {
      datasets: new DatasetService(db, jobs, config),
      runs: new RunService(db, events, writeGate),
      tracking: new RunTrackingService(db, events, writeGateOf(db, writeGate)),
      projects: new ProjectService(db),
      comparisons: new RunComparisonService(db),
      jobs,
      features: new FeatureService(db, jobs, config),
      training,
      experiments: new ExperimentService(db, jobs, events, training),
      registry: new RegistryService(db, events, webhooks, artifactRoot(config)),
      webhooks,
      predictions: new PredictionService(db, jobs, events, config, log),
      auth: new AuthService(db, config.authMode),
      artifacts: new ArtifactService(db, artifactRoot(config), config.artifactMaxBytes),
    };
    closers.push(() => services.predictions.close());
    let runner: JobRunner | undefined;
    if (options.workJobs) {
      const priority = config.jobCpuPriority ?? 'normal';
      if (priority === 'idle' && !schedIdleAvailable()) log.warn('job threads at CPU priority idle need Linux and chrt (util-linux); they run at nice 19 instead');
      const pool = new WorkerPool(config.workerThreads, priority);
      closers.push(() => pool.close());
      runner = new JobRunner({
        db,
        config,
        queue,
        pool,
        events,
        jobs,
        definitions: jobDefinitions,
        log,
        concurrency: config.jobConcurrency,
        staleSeconds: config.jobStaleSeconds,
        workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
        onlyPriority: ownPriority,
      });
      await runner.start();
      closers.push(() => runner!.stop());
    }
    const drain = async () => {
      await runner?.drain(config.drainSeconds * 1000);
    };
    return { config, log, db, events, services, runner, drain, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** TAGFUSION_DEVICE=gpu either finds a working GPU backend or stops the process at start, saying what is missing. */
async function assertGpuReady(): Promise<void> {
  const missing = await missingForGpu();
  if (missing.length) throw new ConfigError(`TAGFUSION_DEVICE=gpu, but ${missing.join('; ')}. Unset it (or set cpu) to run on the CPU; docs/GPU.md says how to run on a GPU.`);
}
