import pLimit from 'p-limit';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';

export interface WriteGateOptions {
  /** metric writes in flight at once on one database pool */
  writers: number;
  /** writes allowed to wait; past it, callers are told to retry */
  maxWaiting: number;
}

export const DEFAULT_WRITE_GATE: WriteGateOptions = { writers: 2, maxWaiting: 1_000 };

/**
 * Metric writes run a few at a time per database pool; the rest wait here. Bulk ingestion (an
 * epoch of 1,000 values is tens of milliseconds of PostgreSQL time) would otherwise hold every
 * pooled connection and make interactive reads queue behind it (bench/load.ts: read p50 3.8 s
 * unbounded, 0.2 s with two writers). Past `maxWaiting`, an API caller gets SERVER_BUSY and
 * retries rather than the queue growing without end (the server's own jobs are few and wait).
 */
export class WriteGate {
  private readonly limit: pLimit.Limit;
  constructor(private readonly options: WriteGateOptions) {
    this.limit = pLimit(options.writers);
  }

  /** Runs `write` in turn; with `refuseWhenBusy`, fails at once (SERVER_BUSY) past `maxWaiting`. */
  run<T>(write: () => Promise<T>, { refuseWhenBusy = true } = {}): Promise<T> {
    if (refuseWhenBusy && this.limit.pendingCount >= this.options.maxWaiting) return Promise.reject(errors.serverBusy(`${this.limit.pendingCount} metric writes are waiting`));
    return this.limit(write);
  }

  get waiting(): number {
    return this.limit.pendingCount;
  }
}

const gates = new WeakMap<Database, WriteGate>();

/** The gate of one database: every RunService of a process on that pool shares it. */
export function writeGateOf(db: Database, options: WriteGateOptions = DEFAULT_WRITE_GATE): WriteGate {
  let gate = gates.get(db);
  if (!gate) gates.set(db, (gate = new WriteGate(options)));
  return gate;
}
