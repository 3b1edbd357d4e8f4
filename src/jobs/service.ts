import type { Database } from '../db/database.js';
import type { Job, Prisma } from '../db/generated/client.js';
import type { JobStatus } from '../db/generated/enums.js';
import type { AppEvent, EventBus } from '../events/bus.js';
import { errors } from '../errors.js';
import type { JobQueue } from './queue.js';

export const TERMINAL: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** What a job cancelled while it waited in the queue says: whether it had run before. */
export const cancelledWhileQueued = (attempts: number) =>
  attempts ? `cancelled while queued for attempt ${attempts + 1} (it had run ${attempts} time${attempts === 1 ? '' : 's'})` : 'cancelled before it started';

export interface JobFilter {
  status?: JobStatus[];
  kind?: string[];
  runId?: string;
}

/** Jobs as users see them: enqueue, list, inspect, cancel, wait. */
export class JobService {
  constructor(
    private readonly db: Database,
    private readonly queue: JobQueue,
    private readonly events: EventBus,
    /** a RUNNING job whose heartbeat is older than this has no live worker (TAGFUSION_JOB_STALE_SECONDS) */
    private readonly staleSeconds = 60,
  ) {}

  /** Creates the Job row and its queue message in one transaction. */
  async enqueue(kind: string, payload: Prisma.InputJsonValue, options: { runId?: string } = {}): Promise<Job> {
    return (await this.enqueueWith(kind, async () => ({ payload, runId: options.runId }))).job;
  }

  /**
   * Creates rows the job is about (a run) and the job itself in one transaction: `build`
   * returns the job's payload and the run it belongs to. Nothing is queued if `build` throws.
   */
  async enqueueWith<T extends { payload: Prisma.InputJsonValue; runId?: string }>(kind: string, build: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T & { job: Job }> {
    const out = await this.db.prisma.$transaction(async (tx) => {
      const built = await build(tx);
      return { ...built, job: await this.enqueueIn(tx, kind, built.payload, built.runId) };
    });
    await this.announce([out.job.id]);
    return out;
  }

  /**
   * Writes a Job row and its queue message inside the caller's transaction (a change and the
   * jobs it causes commit together). Call `announce` with the ids once it has committed.
   */
  async enqueueIn(tx: Prisma.TransactionClient, kind: string, payload: Prisma.InputJsonValue, runId?: string): Promise<Job> {
    const job = await tx.job.create({ data: { kind, payload, runId } });
    await this.queue.send(tx, kind, job.id);
    return job;
  }

  /** Publishes the QUEUED events of jobs enqueued in a committed transaction. */
  async announce(jobIds: string[]): Promise<void> {
    for (const jobId of jobIds) await this.events.publish({ topic: 'job', jobId, type: 'QUEUED', status: 'QUEUED', progress: 0 });
  }

  async get(id: string): Promise<Job> {
    const job = await this.db.prisma.job.findUnique({ where: { id } });
    if (!job) throw errors.jobNotFound(id);
    return job;
  }

  count = (status: JobStatus) => this.db.prisma.job.count({ where: { status } });

  /** Newest first; `after` is the id of the last job of the previous page. */
  async list(filter: JobFilter = {}, first = 50, after?: string): Promise<Job[]> {
    return this.db.prisma.job.findMany({
      where: {
        ...(filter.status?.length ? { status: { in: filter.status } } : {}),
        ...(filter.kind?.length ? { kind: { in: filter.kind } } : {}),
        ...(filter.runId ? { runId: filter.runId } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: first,
      ...(after ? { cursor: { id: after }, skip: 1 } : {}),
    });
  }

  /**
   * Cancels a job. A queued job, or a running one whose worker stopped (no heartbeat for
   * `staleSeconds`), ends CANCELLED at once, in the table and in the queue, so that no restart
   * brings it back. A running one is asked to stop: its worker aborts the task and marks it
   * CANCELLED (or, if that worker dies first, orphan recovery does). Finished jobs cannot be cancelled.
   */
  async cancel(id: string): Promise<Job> {
    const job = await this.get(id);
    if (TERMINAL.includes(job.status)) throw errors.jobFinished(id, job.status);
    const stale = new Date(Date.now() - this.staleSeconds * 1000);
    const message = job.status === 'QUEUED' ? cancelledWhileQueued(job.attempts) : `cancelled; its worker ${job.workerId ?? 'unknown'} had stopped`;
    const { count } = await this.db.prisma.job.updateMany({
      where: { id, OR: [{ status: 'QUEUED' }, { status: 'RUNNING', OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: stale } }] }] },
      data: { status: 'CANCELLED', cancelRequested: true, finishedAt: new Date(), message },
    });
    if (count) {
      // The row is the record: a queue message left behind is skipped by the runner if ever delivered.
      await this.queue.cancel(job.kind, id).catch(() => {});
      await this.events.publish({ topic: 'job', jobId: id, type: 'CANCELLED', status: 'CANCELLED', progress: job.progress, message });
      // The run the job would have started or finished never will: it ends here too.
      if (job.runId) {
        const ended = await this.db.prisma.run.updateMany({ where: { id: job.runId, status: { in: ['QUEUED', 'RUNNING'] } }, data: { status: 'CANCELLED', finishedAt: new Date(), error: message } });
        if (ended.count) await this.events.publish({ topic: 'run', runId: job.runId, type: 'STATUS', status: 'CANCELLED', message });
      }
    } else {
      await this.db.prisma.job.updateMany({ where: { id, status: 'RUNNING' }, data: { cancelRequested: true } });
      await this.events.publish({ topic: 'job-cancel', jobId: id });
    }
    return this.get(id);
  }

  /** Live events of one job, or of all jobs (for GraphQL subscriptions). */
  subscribe(jobId?: string, signal?: AbortSignal): AsyncGenerator<Extract<AppEvent, { topic: 'job' }>> {
    return this.events.iterate((e): e is Extract<AppEvent, { topic: 'job' }> => e.topic === 'job' && (!jobId || e.jobId === jobId), signal);
  }

  /** Resolves with the job once it has finished (for the CLI and tests). */
  async waitFor(id: string, timeoutMs = 24 * 3600_000): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await this.get(id);
      if (TERMINAL.includes(job.status)) return job;
      if (Date.now() > deadline) throw new Error(`timed out waiting for job ${id}`);
      // Event-driven wake-up, with a poll as the backstop for a missed notification.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 1000);
        const stop = this.events.onEvent((e) => {
          if (e.topic === 'job' && e.jobId === id && (TERMINAL as string[]).includes(e.status)) done();
        });
        function done() {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
    }
  }
}
