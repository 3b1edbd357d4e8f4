import { setMaxListeners } from 'node:events';
import type { Job as QueueJob } from 'pg-boss';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { JobStatus } from '../db/generated/enums.js';
import type { EventBus, JobEventType } from '../events/bus.js';
import { isAppError, publicError } from '../errors.js';
import type { Logger } from '../logger.js';
import { jobDuration } from './metrics.js';
import type { WorkerPool } from './pool.js';
import { ProgressReporter } from './progress.js';
import type { JobQueue } from './queue.js';
import { cancelledWhileQueued, type JobService } from './service.js';
import type { AnyJobDefinition } from './types.js';

export interface JobRunnerOptions {
  db: Database;
  config: Config;
  queue: JobQueue;
  pool: WorkerPool;
  events: EventBus;
  jobs: JobService;
  definitions: Map<string, AnyJobDefinition>;
  log: Logger;
  /** jobs of each kind this process works at once */
  concurrency: number;
  /** a RUNNING job whose heartbeat is older than this is orphaned */
  staleSeconds: number;
  workerId: string;
  /** claim only jobs of this queue priority: those this process sent (see JobQueue's ownPriority) */
  onlyPriority?: number;
}

const HEARTBEAT_MS = 5_000;
const CANCELLED = Symbol('cancelled');
/** How long handed-back jobs get to stop after their abort before the drain gives up on them. */
const HAND_BACK_WAIT_MS = 15_000;

/** The abort reason of a job this worker gives back to the queue because it is shutting down. */
class HandedBack extends Error {
  constructor(workerId: string) {
    super(`handed back by worker ${workerId} at shutdown`);
  }
}

/**
 * Works queued jobs in this process: claims them from pg-boss, runs their handler, keeps the
 * `Job` row's status, progress and heartbeat current, and recovers jobs whose worker died.
 */
export class JobRunner {
  private readonly active = new Map<string, AbortController>();
  private timers: NodeJS.Timeout[] = [];
  private stopListening: (() => void) | undefined;
  /** handlers running, including ones claimed but not yet in `active` */
  private inFlight = 0;
  private draining = false;
  private handingBack = false;

  constructor(private readonly o: JobRunnerOptions) {}

  /** the id this runner writes into the rows of the jobs it works */
  get workerId(): string {
    return this.o.workerId;
  }

  /** jobs claimed and not yet settled (`tagfusion jobs work` stops when none is left) */
  get busy(): number {
    return this.inFlight;
  }

  /** ids of the jobs whose handler runs here now */
  get running(): string[] {
    return [...this.active.keys()];
  }

  async start(): Promise<void> {
    await this.recoverOrphans(true);
    this.stopListening = this.o.events.onEvent((e) => {
      if (e.topic === 'job-cancel') this.active.get(e.jobId)?.abort(CANCELLED);
    });
    for (const def of this.o.definitions.values()) {
      await this.o.queue.boss.work<{ jobId: string }>(
        def.kind,
        { batchSize: 1, localConcurrency: this.o.concurrency, pollingIntervalSeconds: 0.5, ...(this.o.onlyPriority ? { minPriority: this.o.onlyPriority, maxPriority: this.o.onlyPriority } : {}) },
        async ([job]) => {
          this.inFlight++;
          try {
            return await this.handle(def, job);
          } finally {
            this.inFlight--;
          }
        },
      );
    }
    this.timers.push(setInterval(() => void this.heartbeat(), HEARTBEAT_MS));
    this.timers.push(setInterval(() => void this.recoverOrphans(false).catch((err) => this.o.log.error({ err }, 'orphan recovery failed')), (this.o.staleSeconds * 1000) / 2));
  }

  /**
   * Graceful shutdown (SIGTERM): stops claiming jobs at once, lets running ones finish for
   * `graceMs`, then aborts the rest and hands them back to the queue, which gives them to another
   * worker without counting the attempt. Resolves when no handler runs (or after a bounded wait).
   */
  async drain(graceMs: number): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    const log = this.o.log.child({ workerId: this.o.workerId });
    await Promise.all([...this.o.definitions.keys()].map((kind) => this.o.queue.boss.offWork(kind, { wait: false })));
    log.info({ running: this.inFlight, graceSeconds: graceMs / 1000 }, 'drain: stopped claiming jobs; waiting for running ones to finish');
    if (await this.waitIdle(graceMs)) {
      log.info('drain: no job running');
      return;
    }
    this.handingBack = true;
    log.warn({ jobs: [...this.active.keys()] }, 'drain: grace period over; handing running jobs back to the queue');
    for (const controller of this.active.values()) controller.abort(new HandedBack(this.o.workerId));
    if (await this.waitIdle(HAND_BACK_WAIT_MS)) log.info('drain: every running job was handed back');
    else log.error({ jobs: [...this.active.keys()] }, 'drain: jobs did not stop; they are recovered once their heartbeat is stale');
  }

  private async waitIdle(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return this.inFlight === 0;
  }

  /** Stops claiming jobs and waits (bounded) for running ones; the queue re-delivers the rest. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.stopListening?.();
  }

  private async handle(def: AnyJobDefinition, qjob: QueueJob<{ jobId: string }>): Promise<unknown> {
    const { prisma } = this.o.db;
    const jobId = qjob.data.jobId;
    const row = await prisma.job.findUnique({ where: { id: jobId } });
    if (!row || row.status === 'SUCCEEDED' || row.status === 'FAILED' || row.status === 'CANCELLED') return { skipped: true };
    if (row.cancelRequested) {
      await this.finish(jobId, 'CANCELLED', { message: cancelledWhileQueued(row.attempts) });
      return { cancelled: true };
    }
    if (this.handingBack) {
      // claimed in the instant the drain stopped claiming: give it straight back, attempt unspent
      await this.o.queue.handBack(def.kind, jobId, new HandedBack(this.o.workerId).message);
      return { handedBack: true };
    }
    const attempt = row.attempts + 1;
    const now = new Date();
    await prisma.job.update({
      where: { id: jobId },
      // startedAt is this attempt's start: a retried job's earlier attempts are in `attempts`.
      data: { status: 'RUNNING', attempts: attempt, startedAt: now, heartbeatAt: now, workerId: this.o.workerId, error: null },
    });
    await this.publish(jobId, 'STARTED', 'RUNNING', row.progress, `attempt ${attempt}`);

    const controller = new AbortController();
    // A handler may hand the signal to many pool tasks at once (one per image chunk).
    setMaxListeners(0, controller.signal);
    this.active.set(jobId, controller);
    if (this.handingBack) controller.abort(new HandedBack(this.o.workerId));
    qjob.signal?.addEventListener('abort', () => controller.abort(new Error('the queue claim on this job was lost')));
    const log = this.o.log.child({ jobId, kind: def.kind, attempt });
    // observed once the job has its final status (an attempt the queue retries is not final)
    const observeDuration = jobDuration.startTimer({ kind: def.kind });
    const reporter = new ProgressReporter(prisma, this.o.events, jobId, log);
    try {
      const payload = def.parsePayload(row.payload);
      const result = await def.run(
        { jobId, attempt, signal: controller.signal, db: this.o.db, config: this.o.config, pool: this.o.pool, events: this.o.events, jobs: this.o.jobs, log, progress: (f, m) => reporter.report(f, m) },
        payload,
      );
      await reporter.flush();
      await this.finish(jobId, 'SUCCEEDED', { result: result as object, progress: 1 });
      observeDuration({ status: 'SUCCEEDED' });
      log.info('job succeeded');
      return result;
    } catch (err) {
      await reporter.flush().catch(() => {});
      if (controller.signal.reason instanceof HandedBack) return await this.handBack(def, jobId, row.runId, attempt, controller.signal.reason, log);
      if (controller.signal.reason === CANCELLED) {
        await this.finish(jobId, 'CANCELLED', { message: 'cancelled while running' });
        observeDuration({ status: 'CANCELLED' });
        log.info('job cancelled');
        return { cancelled: true };
      }
      // Only catalogue errors reach users. Anything else (a database's or a library's own words,
      // which may hold paths, values or file content) is stored as an id that finds it in the log.
      const { message, errorId } = publicError(err);
      // Errors from the catalogue are the user's input (a bad file, a missing path): retrying
      // cannot help, so the job fails now and the queue sees a completed message.
      if (isAppError(err) || attempt > def.retryLimit) {
        log.warn({ err, errorId }, 'job failed');
        await this.finish(jobId, 'FAILED', { error: message });
        observeDuration({ status: 'FAILED' });
        if (isAppError(err)) return { failed: true };
        throw err;
      }
      log.warn({ err, errorId }, 'job attempt failed; the queue will retry it');
      await prisma.job.update({ where: { id: jobId }, data: { status: 'QUEUED', error: `attempt ${attempt} failed: ${message}` } });
      await this.publish(jobId, 'QUEUED', 'QUEUED', row.progress, `attempt ${attempt} failed; retrying`);
      throw err;
    } finally {
      this.active.delete(jobId);
    }
  }

  /**
   * The job stopped because this worker shuts down: the queue gets it back (retry, attempt
   * unspent), and its row and run say QUEUED with the reason until another worker claims it.
   */
  private async handBack(def: AnyJobDefinition, jobId: string, runId: string | null, attempt: number, reason: HandedBack, log: Logger): Promise<{ handedBack: true }> {
    const { prisma } = this.o.db;
    const state = await this.o.queue.handBack(def.kind, jobId, reason.message).catch((err) => {
      log.error({ err }, 'handing the job back to the queue failed; it is recovered once its heartbeat is stale');
      return undefined;
    });
    const updated = await prisma.job.update({ where: { id: jobId }, data: { status: 'QUEUED', attempts: attempt - 1, message: reason.message, error: null } });
    await this.publish(jobId, 'QUEUED', 'QUEUED', updated.progress, reason.message);
    // The handler may have ended its run (QUEUED to retry, or FAILED on a last attempt): it waits again.
    if (runId) {
      const waiting = await prisma.run.updateMany({ where: { id: runId, status: { in: ['RUNNING', 'QUEUED', 'FAILED'] } }, data: { status: 'QUEUED', error: reason.message, finishedAt: null } });
      if (waiting.count) await this.o.events.publish({ topic: 'run', runId, type: 'STATUS', status: 'QUEUED', message: reason.message });
    }
    log.warn({ queueState: state }, 'job handed back to the queue');
    return { handedBack: true };
  }

  private async finish(jobId: string, status: JobStatus, data: { result?: object; error?: string; message?: string; progress?: number }): Promise<void> {
    const updated = await this.o.db.prisma.job.update({
      where: { id: jobId },
      // A success clears the last progress message ("5 of 6 trials finished"), which would read as stale.
      data: { status, finishedAt: new Date(), ...(status === 'SUCCEEDED' ? { message: null } : {}), ...data },
    });
    await this.publish(jobId, status as JobEventType, status, updated.progress, data.error ?? data.message);
  }

  private publish(jobId: string, type: JobEventType, status: JobStatus, progress: number, message?: string | null) {
    return this.o.events.publish({ topic: 'job', jobId, type, status, progress, message: message ?? null });
  }

  private async heartbeat(): Promise<void> {
    if (this.active.size === 0) return;
    await this.o.db.prisma.job
      .updateMany({ where: { id: { in: [...this.active.keys()] }, status: 'RUNNING' }, data: { heartbeatAt: new Date() } })
      .catch((err) => this.o.log.warn({ err }, 'job heartbeat failed'));
  }

  /**
   * Finds RUNNING jobs whose worker died (SIGKILL, power loss) and hands them back to the queue,
   * which retries them if attempts remain; the row then says QUEUED or FAILED with the reason.
   * The embedded database has one process, so at its start every RUNNING job is orphaned.
   */
  async recoverOrphans(atStartup: boolean): Promise<number> {
    const { prisma } = this.o.db;
    const cutoff = new Date(Date.now() - this.o.staleSeconds * 1000);
    const everything = atStartup && this.o.db.kind === 'pglite';
    const orphans = await prisma.job.findMany({
      where: {
        status: 'RUNNING',
        id: { notIn: [...this.active.keys()] },
        ...(everything ? {} : { OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: cutoff } }] }),
      },
    });
    for (const job of orphans) {
      const reason = `interrupted: worker ${job.workerId ?? 'unknown'} stopped (last heartbeat ${job.heartbeatAt?.toISOString() ?? 'never'})`;
      let state = await this.o.queue.state(job.kind, job.id);
      // A job someone cancelled while it ran ends here: re-queued, it would run again.
      if (job.cancelRequested) {
        await this.o.queue.cancel(job.kind, job.id);
        state = 'cancelled';
      } else if (state === 'active') {
        await this.o.queue.failInterrupted(job.kind, job.id, reason);
        state = await this.o.queue.state(job.kind, job.id);
      }
      const requeued = state === 'created' || state === 'retry';
      const status: JobStatus = requeued ? 'QUEUED' : state === 'cancelled' ? 'CANCELLED' : 'FAILED';
      const { count } = await prisma.job.updateMany({
        where: { id: job.id, status: 'RUNNING' },
        data: requeued
          ? { status, message: `re-queued after ${reason}` }
          : job.cancelRequested
            ? { status, message: `cancelled; its worker ${job.workerId ?? 'unknown'} stopped before the job did`, finishedAt: new Date() }
            : { status, error: reason, finishedAt: new Date() },
      });
      if (count) {
        this.o.log.warn({ jobId: job.id, status }, reason);
        await this.publish(job.id, status as JobEventType, status, job.progress, reason);
        // A job that will not run again ends its run too, or the run would say RUNNING forever.
        if (!requeued && job.runId) {
          const ended = await prisma.run.updateMany({ where: { id: job.runId, status: { in: ['QUEUED', 'RUNNING'] } }, data: { status, error: reason, finishedAt: new Date() } });
          if (ended.count) await this.o.events.publish({ topic: 'run', runId: job.runId, type: 'STATUS', status, message: reason });
        }
      }
    }
    return orphans.length;
  }
}
