import { delimiter, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { CPU_PRIORITIES, type CpuPriority } from './workers/cpu-priority.js';

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
  /**
   * CPU priority of the job threads (training, feature extraction) beside the API thread and
   * PostgreSQL; unset: `idle` in `serve`, which answers the API from the same process, else `normal`.
   */
  jobCpuPriority: CpuPriority | undefined;
  /** A worker's monitoring port (/metrics, /healthz); unset: none. `serve` has them on its own port. */
  metricsPort: number | undefined;
  /** Jobs one process works at the same time. */
  jobConcurrency: number;
  /** A running job whose heartbeat is older than this is considered orphaned. */
  jobStaleSeconds: number;
  /** On SIGTERM, how long running jobs may finish before they are handed back to the queue. */
  drainSeconds: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * Folders whose images `predict` may read by path; undefined means the data folder and every
   * dataset's image folder.
   */
  dataRoots: string[] | undefined;
  /**
   * Folders an encoder's `path` (extractFeatures, training inputs) must lie under; undefined means
   * the data folder's `models/` (src/features/model-roots.ts).
   */
  modelRoots: string[] | undefined;
  /** Worker threads that keep models loaded for single predictions. */
  predictThreads: number;
  /** Metric writes (logMetrics, training epochs) in flight at once; the rest wait their turn. */
  metricWriters: number;
  /** Largest caption file an import reads, in bytes. */
  csvMaxBytes: number;
  /** Most records an import accepts from one file. */
  csvMaxRecords: number;
  /** Largest image (width × height) an import accepts; larger ones are rejected records. */
  imageMaxPixels: number;
  /** Largest artifact file one upload may store, in bytes (src/artifacts). */
  artifactMaxBytes: number;
  /**
   * `required`: every GraphQL request carries an API token (src/auth); `open`: every caller is the
   * local admin, allowed only on a loopback HOST.
   */
  authMode: 'required' | 'open';
  /**
   * Whether webhooks may target private, loopback, link-local and CGNAT addresses (an internal
   * chat server); off, they are refused at creation and at delivery (src/webhooks/target.ts).
   */
  webhookAllowPrivate: boolean;
  /**
   * Web origins besides the server's own that may open WebSockets and send writes
   * (`https://dash.example.com`); a page of any other origin is refused (src/server/request-guard.ts).
   */
  allowedOrigins: string[];
  /** Where artifacts, feature caches and submissions are shared (src/storage); the data folder by default. */
  store: StoreConfig;
}

/**
 * `folder`: the data folder is the store (a shared mount on several machines). `s3`: a bucket is
 * the shared source of truth and the data folder each machine's working copy.
 */
export type StoreConfig =
  | { kind: 'folder' }
  | {
      kind: 's3';
      bucket: string;
      /** key prefix without leading or trailing slash; '' for the bucket's root */
      prefix: string;
      /** an S3-compatible server (MinIO, Ceph, R2…): path-style addressing */
      endpoint: string | undefined;
      region: string;
      /**
       * Static keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as a function so that logging
       * or serialising the configuration never shows them; undefined: the SDK's default chain.
       */
      credentials: (() => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>) | undefined;
    };

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
  TAGFUSION_JOB_CPU_PRIORITY: z.enum(CPU_PRIORITIES, { message: 'TAGFUSION_JOB_CPU_PRIORITY must be normal, low or idle' }).optional(),
  TAGFUSION_METRICS_PORT: positiveInt('TAGFUSION_METRICS_PORT').max(65535, 'TAGFUSION_METRICS_PORT must be at most 65535').optional(),
  TAGFUSION_JOB_CONCURRENCY: positiveInt('TAGFUSION_JOB_CONCURRENCY').max(64).default(2),
  TAGFUSION_JOB_STALE_SECONDS: positiveInt('TAGFUSION_JOB_STALE_SECONDS').default(60),
  TAGFUSION_DRAIN_SECONDS: z.coerce
    .number({ message: 'TAGFUSION_DRAIN_SECONDS must be a number' })
    .int('TAGFUSION_DRAIN_SECONDS must be a whole number')
    .min(0, 'TAGFUSION_DRAIN_SECONDS must be 0 or more')
    .max(86_400, 'TAGFUSION_DRAIN_SECONDS must be at most 86400')
    .default(30),
  TAGFUSION_DATA_ROOTS: z.string().optional(),
  TAGFUSION_MODEL_ROOTS: z.string().optional(),
  TAGFUSION_PREDICT_THREADS: positiveInt('TAGFUSION_PREDICT_THREADS').max(64).default(1),
  TAGFUSION_METRIC_WRITERS: positiveInt('TAGFUSION_METRIC_WRITERS').max(64).default(2),
  // V8 strings stop at about 512 MiB and the parser holds the file as one string; 256 MiB is ten
  // times the competition's full training file with room to spare.
  TAGFUSION_CSV_MAX_BYTES: positiveInt('TAGFUSION_CSV_MAX_BYTES').max(512 * 1024 * 1024 - 1024, 'TAGFUSION_CSV_MAX_BYTES must be below 512 MiB').default(256 * 1024 * 1024),
  TAGFUSION_CSV_MAX_RECORDS: positiveInt('TAGFUSION_CSV_MAX_RECORDS').default(2_000_000),
  // 40 megapixels is a large camera photo; decoding one takes 120 MB as raw RGB. COCO's are 0.3.
  TAGFUSION_IMAGE_MAX_PIXELS: positiveInt('TAGFUSION_IMAGE_MAX_PIXELS').default(40_000_000),
  // 5 GiB: ONNX exports of large vision models and checkpoints fit; uploads stream, so memory is no bound.
  TAGFUSION_ARTIFACT_MAX_BYTES: positiveInt('TAGFUSION_ARTIFACT_MAX_BYTES').default(5 * 1024 ** 3),
  TAGFUSION_AUTH: z.enum(['required', 'open'], { message: 'TAGFUSION_AUTH must be required or open' }).optional(),
  TAGFUSION_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1'], { message: 'TAGFUSION_WEBHOOK_ALLOW_PRIVATE must be 1 or 0' }).optional(),
  // Comma-separated origins as browsers send them: scheme://host[:port], nothing after.
  TAGFUSION_ALLOWED_ORIGINS: z
    .string()
    .refine((v) => v.split(',').map((o) => o.trim()).filter(Boolean).every((o) => URL.canParse(o) && new URL(o).origin === o.replace(/\/$/, '').toLowerCase()), 'TAGFUSION_ALLOWED_ORIGINS must be a comma-separated list of origins such as https://dash.example.com (scheme, host and port only)')
    .optional(),
  // s3://bucket or s3://bucket/prefix; bucket names as S3 allows them (3–63 lowercase letters, digits, dots, hyphens).
  TAGFUSION_STORE: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'TAGFUSION_STORE must be s3://bucket or s3://bucket/prefix (unset: the data folder is the store)')
    .optional(),
  TAGFUSION_S3_ENDPOINT: z.string().regex(/^https?:\/\/[^/\s]+/, 'TAGFUSION_S3_ENDPOINT must be an http:// or https:// URL').optional(),
  // Read only with TAGFUSION_STORE: a machine's AWS settings never stop a folder-store start.
  AWS_REGION: z.string().optional(),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  AWS_SECRET_ACCESS_KEY: z.string().optional(),
  AWS_SESSION_TOKEN: z.string().optional(),
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
  // Open mode hands the local admin role to whoever reaches the port, so it is for one person on
  // their own machine: by default with the embedded database on loopback, never on another interface.
  const loopback = isLoopbackHost(e.HOST);
  const authMode = e.TAGFUSION_AUTH ?? (!e.DATABASE_URL && loopback ? 'open' : 'required');
  if (authMode === 'open' && !loopback) {
    throw new ConfigError(
      `Invalid configuration:\n  TAGFUSION_AUTH: open mode (no API tokens) is allowed only when HOST is a loopback address (127.0.0.1, ::1, localhost); HOST is ${e.HOST}. Use TAGFUSION_AUTH=required and create a token with \`tagfusion token create --name NAME --role admin\`.`,
    );
  }
  return {
    store: storeConfig(e),
    databaseUrl: e.DATABASE_URL,
    dataDir: resolve(e.TAGFUSION_DATA_DIR),
    port: e.PORT,
    host: e.HOST,
    device: e.TAGFUSION_DEVICE,
    // Every core: extraction and prediction encode one part per thread, and on 2 cores "cores − 1"
    // left half the machine idle. The API thread is not starved: `serve` runs job threads at CPU
    // priority idle, and elsewhere the main thread only waits on the pool.
    workerThreads: e.TAGFUSION_WORKER_THREADS ?? availableParallelism(),
    jobCpuPriority: e.TAGFUSION_JOB_CPU_PRIORITY,
    metricsPort: e.TAGFUSION_METRICS_PORT,
    jobConcurrency: e.TAGFUSION_JOB_CONCURRENCY,
    jobStaleSeconds: e.TAGFUSION_JOB_STALE_SECONDS,
    drainSeconds: e.TAGFUSION_DRAIN_SECONDS,
    logLevel: e.LOG_LEVEL,
    // A list like PATH: folders separated by ':' (';' on Windows).
    dataRoots: e.TAGFUSION_DATA_ROOTS?.split(delimiter).filter(Boolean).map((p) => resolve(p)),
    modelRoots: e.TAGFUSION_MODEL_ROOTS?.split(delimiter).filter(Boolean).map((p) => resolve(p)),
    predictThreads: e.TAGFUSION_PREDICT_THREADS,
    metricWriters: e.TAGFUSION_METRIC_WRITERS,
    csvMaxBytes: e.TAGFUSION_CSV_MAX_BYTES,
    csvMaxRecords: e.TAGFUSION_CSV_MAX_RECORDS,
    imageMaxPixels: e.TAGFUSION_IMAGE_MAX_PIXELS,
    artifactMaxBytes: e.TAGFUSION_ARTIFACT_MAX_BYTES,
    authMode,
    webhookAllowPrivate: e.TAGFUSION_WEBHOOK_ALLOW_PRIVATE === '1',
    allowedOrigins: (e.TAGFUSION_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean).map((o) => new URL(o).origin),
  };
}

function storeConfig(e: z.infer<typeof schema>): StoreConfig {
  const fail = (line: string) => new ConfigError(`Invalid configuration:\n  ${line}`);
  if (!e.TAGFUSION_STORE) {
    if (e.TAGFUSION_S3_ENDPOINT) throw fail('TAGFUSION_S3_ENDPOINT: is set, but TAGFUSION_STORE names no bucket (set TAGFUSION_STORE=s3://bucket/prefix, or unset the endpoint)');
    return { kind: 'folder' };
  }
  if (Boolean(e.AWS_ACCESS_KEY_ID) !== Boolean(e.AWS_SECRET_ACCESS_KEY)) {
    throw fail(`${e.AWS_ACCESS_KEY_ID ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'}: must be set with ${e.AWS_ACCESS_KEY_ID ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'} (or unset both for the SDK's default credentials)`);
  }
  const [bucket, ...rest] = e.TAGFUSION_STORE.slice('s3://'.length).split('/');
  const prefix = rest.filter(Boolean).join('/');
  if (prefix.split('/').some((p) => p === '.' || p === '..')) throw fail('TAGFUSION_STORE: the prefix must not contain . or .. segments');
  const keys = e.AWS_ACCESS_KEY_ID && e.AWS_SECRET_ACCESS_KEY ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, ...(e.AWS_SESSION_TOKEN ? { sessionToken: e.AWS_SESSION_TOKEN } : {}) } : undefined;
  return {
    kind: 's3',
    bucket,
    prefix,
    endpoint: e.TAGFUSION_S3_ENDPOINT?.replace(/\/+$/, ''),
    region: e.AWS_REGION ?? 'us-east-1',
    credentials: keys && (async () => keys),
  };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}
