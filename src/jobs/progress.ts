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
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly events: EventBus,
    private readonly jobId: string,
  ) {}

  report(fraction: number, message?: string): void {
    this.latest = { fraction: Math.min(1, Math.max(0, fraction)), message };
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.writing = this.writing.then(() => this.write());
    }, INTERVAL_MS);
  }

  /** Writes what is pending and waits for earlier writes. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.write());
    await this.writing;
  }

  private async write(): Promise<void> {
    const p = this.latest;
    if (!p) return;
    this.latest = undefined;
    await this.prisma.job.updateMany({
      where: { id: this.jobId, status: 'RUNNING' },
      data: { progress: p.fraction, ...(p.message !== undefined ? { message: p.message } : {}), heartbeatAt: new Date() },
    });
    await this.events.publish({ topic: 'job', jobId: this.jobId, type: 'PROGRESS', status: 'RUNNING', progress: p.fraction, message: p.message ?? null });
  }
}
