import type { Logger } from 'pino';
import type { PrismaClient } from '../db/generated/client.js';
import type { EventBus } from '../events/bus.js';

/** How often progress reaches the database and subscribers, at most. */
const INTERVAL_MS = 250;

/**
 * Coalesces a handler's progress calls: a loop reporting every image must not cost a database
 * write and a NOTIFY each time. The latest value is written at most every INTERVAL_MS.
 */
export class ProgressReporter {
  private latest: { fraction: number; message?: string } | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** the last write in line; never rejects, so a failed write cannot become an unhandled rejection */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventBus,
    private readonly jobId: string,
    private readonly log: Logger,
  ) {}

  report(fraction: number, message?: string): void {
    this.latest = { fraction: Math.min(1, Math.max(0, fraction)), message };
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      // A lost progress update is not worth failing the job for; the next one or flush() retries.
      this.enqueueWrite().catch((err) => this.log.warn({ err }, 'job progress update failed'));
    }, INTERVAL_MS);
  }

  /** Writes what is pending after earlier writes; rejects if that write fails. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.enqueueWrite();
  }

  private enqueueWrite(): Promise<void> {
    const next = this.writing.then(() => this.write());
    this.writing = next.catch(() => {});
    return next;
  }

  private async write(): Promise<void> {
    const p = this.latest;
    if (!p) return;
    await this.prisma.job.updateMany({
      where: { id: this.jobId, status: 'RUNNING' },
      data: { progress: p.fraction, ...(p.message !== undefined ? { message: p.message } : {}), heartbeatAt: new Date() },
    });
    // kept until written, so that flush() retries what a failed write lost
    if (this.latest === p) this.latest = undefined;
    await this.events.publish({ topic: 'job', jobId: this.jobId, type: 'PROGRESS', status: 'RUNNING', progress: p.fraction, message: p.message ?? null });
  }
}
