import { delimiter, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** Server and worker settings, read from the environment (see README, "Configuration"). */
export interface Config {
  /** PostgreSQL connection string; absent means the embedded PGlite database. */
  databaseUrl: string | undefined;
  /** Folder for the embedded database, feature caches and artifacts. */
  dataDir: string;
  port: number;
  host: string;
  /** Compute device preference for training and encoders. */
  device: 'auto' | 'cpu' | 'gpu';
  /** Worker threads in the piscina pool. */
  workerThreads: number;
  /** Jobs one process works at the same time. */
  jobConcurrency: number;
  /** A running job whose heartbeat is older than this is considered orphaned. */
  jobStaleSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Folders whose images `predict` may read by path; undefined means the data folder and every
   * dataset's image folder.
   */
  dataRoots: string[] | undefined;
  /** Worker threads that keep models loaded for single predictions. */
  predictThreads: number;
}

const positiveInt = (name: string) =>
  z.coerce.number({ message: `${name} must be a number` }).int(`${name} must be a whole number`).positive(`${name} must be positive`);

const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgresql:// or postgres://')
    .optional(),
  TAGFUSION_DATA_DIR: z.string().min(1).default('.tagfusion'),
  PORT: positiveInt('PORT').max(65535, 'PORT must be at most 65535').default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  TAGFUSION_DEVICE: z.enum(['auto', 'cpu', 'gpu'], { message: 'TAGFUSION_DEVICE must be auto, cpu or gpu' }).default('auto'),
  TAGFUSION_WORKER_THREADS: positiveInt('TAGFUSION_WORKER_THREADS').max(64).optional(),
  TAGFUSION_JOB_CONCURRENCY: positiveInt('TAGFUSION_JOB_CONCURRENCY').max(64).default(2),
  TAGFUSION_JOB_STALE_SECONDS: positiveInt('TAGFUSION_JOB_STALE_SECONDS').default(60),
  TAGFUSION_DATA_ROOTS: z.string().optional(),
  TAGFUSION_PREDICT_THREADS: positiveInt('TAGFUSION_PREDICT_THREADS').max(64).default(1),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent' })
    .default('info'),
});

/** Raised when the environment holds an invalid value; the message names each bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the configuration. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.TAGFUSION_DATA_DIR),
    port: e.PORT,
    host: e.HOST,
    device: e.TAGFUSION_DEVICE,
    // Leave a core for the main thread's database and GraphQL work.
    workerThreads: e.TAGFUSION_WORKER_THREADS ?? Math.max(1, availableParallelism() - 1),
    jobConcurrency: e.TAGFUSION_JOB_CONCURRENCY,
    jobStaleSeconds: e.TAGFUSION_JOB_STALE_SECONDS,
    logLevel: e.LOG_LEVEL,
    // A list like PATH: folders separated by ':' (';' on Windows).
    dataRoots: e.TAGFUSION_DATA_ROOTS?.split(delimiter).filter(Boolean).map((p) => resolve(p)),
    predictThreads: e.TAGFUSION_PREDICT_THREADS,
  };
}
