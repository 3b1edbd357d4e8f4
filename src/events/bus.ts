import { EventEmitter, on } from 'node:events';
import type { Database } from '../db/database.js';
import type { JobStatus, RunStatus } from '../db/generated/enums.js';
import type { Logger } from '../logger.js';

/** Everything the server announces; subscriptions filter on it. */
export type AppEvent =
  | { topic: 'job'; jobId: string; type: JobEventType; status: JobStatus; progress: number; message?: string | null }
  | { topic: 'job-cancel'; jobId: string }
  | { topic: 'run'; runId: string; type: RunEventType; status?: RunStatus; epoch?: number; metrics?: { name: string; split: string; value: number }[]; message?: string }
  /** an experiment's children changed: counts and best so far (see src/experiments) */
  | { topic: 'experiment'; runId: string; status: RunStatus; total: number; done: number; running: number; queued: number; failed: number; best?: { runId: string; value: number } | null }
  /** a registry change: a version created, an alias moved, tags edited (see src/registry) */
  | { topic: 'registry'; type: RegistryEventType; modelId: string; modelName: string; version?: number; versionId?: string; alias?: string };

export type JobEventType = 'QUEUED' | 'STARTED' | 'PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type RunEventType = 'STATUS' | 'EPOCH' | 'LOG';
export type RegistryEventType = 'MODEL_CREATED' | 'VERSION_CREATED' | 'ALIAS_MOVED' | 'ALIAS_DELETED' | 'TAGS_CHANGED';

const CHANNEL = 'tagfusion_events';
// NOTIFY payloads are limited to 8000 bytes; events are kept well below.
const MAX_PAYLOAD = 7900;

/** Whether an event fits in one NOTIFY payload. */
export const fitsInEvent = (event: AppEvent) => JSON.stringify(event).length <= MAX_PAYLOAD;

/**
 * Publishes through PostgreSQL NOTIFY, so that every server instance sharing the database
 * (and the embedded PGlite, which supports LISTEN too) delivers the event to its subscribers.
 */
export class EventBus {
  private readonly local = new EventEmitter({ captureRejections: false });
  private unlisten: (() => Promise<void>) | undefined;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
  ) {
    this.local.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.unlisten = await this.db.listen(CHANNEL, (payload) => {
      try {
        this.local.emit('event', JSON.parse(payload) as AppEvent);
      } catch (err) {
        this.log.warn({ err }, 'dropped an unreadable event');
      }
    });
  }

  async publish(event: AppEvent): Promise<void> {
    const payload = JSON.stringify(event);
    if (payload.length > MAX_PAYLOAD) throw new Error(`event too large for NOTIFY (${payload.length} bytes)`);
    await this.db.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
  }

  /** Calls `fn` for each event; returns the function that stops it. */
  onEvent(fn: (event: AppEvent) => void): () => void {
    this.local.on('event', fn);
    return () => this.local.off('event', fn);
  }

  /** Async iterator of the events that pass `filter`, ended when the consumer returns. */
  async *iterate<T extends AppEvent>(filter: (e: AppEvent) => e is T, signal?: AbortSignal): AsyncGenerator<T> {
    for await (const [event] of on(this.local, 'event', { signal })) {
      if (filter(event as AppEvent)) yield event as T;
    }
  }

  async close(): Promise<void> {
    await this.unlisten?.();
    this.local.removeAllListeners();
  }
}
