import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../logger.js';
import type { WorkerPool } from './pool.js';
import type { JobService } from './service.js';

/** What a job handler may use. Handlers run on a main thread; heavy compute goes to `pool`. */
export interface JobContext {
  jobId: string;
  /** 1 for the first attempt, 2 for the first retry, ... */
  attempt: number;
  /** aborted when the job is cancelled or its queue claim is lost */
  signal: AbortSignal;
  db: Database;
  config: Config;
  pool: WorkerPool;
  events: EventBus;
  /** to queue further jobs (an experiment queues its trials) */
  jobs: JobService;
  log: Logger;
  /** Reports progress in [0, 1]; persisted and published at most a few times a second. */
  progress(fraction: number, message?: string): void;
}

/** One kind of background work: payload, handler, retry and expiry in one place. */
export interface JobDefinition<P = unknown, R extends Record<string, unknown> = Record<string, unknown>> {
  /** also the pg-boss queue name */
  kind: string;
  /** attempts after the first, for failures and interrupted workers */
  retryLimit: number;
  /** seconds between retries (doubled each time) */
  retryDelaySeconds: number;
  /** a job running longer than this is failed by the queue */
  expireInSeconds: number;
  /** validates a stored payload (it may come from an older version) */
  parsePayload(payload: unknown): P;
  run(ctx: JobContext, payload: P): Promise<R>;
}

export type AnyJobDefinition = JobDefinition<any, Record<string, unknown>>;
