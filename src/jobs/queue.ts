import { PgBoss, fromPrisma } from 'pg-boss';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { throttledErrorLog } from '../util/log-throttle.js';
import type { AnyJobDefinition } from './types.js';

/** pg-boss's own schema, beside the application's tables. */
const BOSS_SCHEMA = 'pgboss';
/** pg-boss refreshes claims this often and fails jobs whose worker stopped doing so. */
export const QUEUE_HEARTBEAT_SECONDS = 10;

type Tx = Parameters<typeof fromPrisma>[0];

/**
 * The durable queue (pg-boss) on the application database. Messages carry only the id of a
 * `Job` row; the row is the record users see.
 */
export class JobQueue {
  readonly boss: PgBoss;

  constructor(
    private readonly db: Database,
    private readonly definitions: Map<string, AnyJobDefinition>,
    log: Logger,
    /**
     * the priority of every job this process sends (0 when unset): a negative one of its own lets
     * this process claim just its jobs, while other workers take them after untagged ones
     */
    private readonly ownPriority?: number,
  ) {
    this.boss = new PgBoss({ ...db.boss, schema: BOSS_SCHEMA, ...(db.kind === 'pglite' ? { backend: 'pglite' } : {}) } as never);
    this.boss.on('error', throttledErrorLog(log, 'queue error'));
  }

  async start(): Promise<void> {
    await this.boss.start();
    for (const def of this.definitions.values()) {
      const options = {
        retryLimit: def.retryLimit,
        retryDelay: def.retryDelaySeconds,
        retryBackoff: true,
        expireInSeconds: def.expireInSeconds,
        heartbeatSeconds: QUEUE_HEARTBEAT_SECONDS,
      };
      if (await this.boss.getQueue(def.kind)) await this.boss.updateQueue(def.kind, options);
      else await this.boss.createQueue(def.kind, options);
    }
  }

  /** Sends the queue message inside the caller's Prisma transaction (same commit as the Job row). */
  async send(tx: Tx, kind: string, jobId: string): Promise<void> {
    if (!this.definitions.has(kind)) throw new Error(`unknown job kind ${kind}`);
    await this.boss.send(kind, { jobId }, { id: jobId, db: fromPrisma(tx), ...(this.ownPriority ? { priority: this.ownPriority } : {}) });
  }

  async state(kind: string, jobId: string): Promise<string | undefined> {
    return (await this.boss.getJobById(kind, jobId))?.state;
  }

  async cancel(kind: string, jobId: string): Promise<void> {
    await this.boss.cancel(kind, jobId);
  }

  /** Fails a job whose worker died, letting the queue retry it if attempts remain. */
  async failInterrupted(kind: string, jobId: string, reason: string): Promise<void> {
    await this.boss.fail(kind, jobId, { reason });
  }

  /**
   * Gives a job this process holds back to the queue without spending one of its retries: its
   * retry limit grows by one (pg-boss's own `retry()` does the same for failed jobs), then it is
   * failed, which makes it `retry` after the queue's delay for any worker to claim.
   */
  async handBack(kind: string, jobId: string, reason: string): Promise<string | undefined> {
    await this.db.query(`UPDATE ${BOSS_SCHEMA}.job SET retry_limit = retry_limit + 1 WHERE name = $1 AND id = $2 AND state = 'active'`, [kind, jobId]);
    await this.boss.fail(kind, jobId, { reason });
    return this.state(kind, jobId);
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 10_000 });
  }
}
