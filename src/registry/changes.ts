import type { Database } from '../db/database.js';
import type { RegisteredModel } from '../db/generated/client.js';
import type { AppEvent, EventBus } from '../events/bus.js';
import { errors } from '../errors.js';
import type { WebhookService } from '../webhooks/service.js';
import type { Actor } from './actor.js';
import { writeAudit, type Change } from './audit.js';
import { modelName, parse } from './input.js';
import * as repo from './repository.js';

type RegistryEvent = Extract<AppEvent, { topic: 'registry' }>;

// Registry transactions are short; the waits leave room for a queue of concurrent changes to one
// model (each holds the model's row lock) and for PGlite, which runs one transaction at a time.
const TX = { maxWait: 10_000, timeout: 20_000 };

/** The changes that are also events (bus and webhooks); the others are in the audit log only. */
const EVENT_ACTIONS = new Set<string>(['MODEL_CREATED', 'VERSION_CREATED', 'ALIAS_MOVED', 'ALIAS_DELETED', 'TAGS_CHANGED']);

export type Record_ = (c: Change) => Promise<void>;

/**
 * How every registry change is made: in one transaction that writes its audit entry and queues
 * its webhook deliveries, then publishes its events once committed.
 */
export class RegistryChanges {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly webhooks: WebhookService,
  ) {}

  /** Locks the model's row for the rest of the transaction; MODEL_NOT_FOUND when it does not exist. */
  async lock(tx: repo.Tx, name: string): Promise<RegisteredModel> {
    parse(modelName, name);
    const model = await repo.lockModel(tx, name);
    if (!model) throw errors.modelNotFound(name);
    return model;
  }

  /**
   * Runs one registry change in a transaction. `record` writes its audit entry and, for the
   * changes webhooks hear of, queues their deliveries in the same transaction. Events go out
   * after the commit: subscribers and warm prediction models never hear of a rolled-back change.
   */
  async run<T>(actor: Actor, work: (tx: repo.Tx, record: Record_) => Promise<T>): Promise<T> {
    let events: RegistryEvent[] = [];
    let jobIds: string[] = [];
    const result = await this.db.prisma.$transaction(async (tx) => {
      events = [];
      jobIds = [];
      return work(tx, async (c) => {
        await writeAudit(tx, actor, c);
        if (!EVENT_ACTIONS.has(c.action) || !c.modelId || !c.modelName) return;
        const type = c.action as RegistryEvent['type'];
        events.push({ topic: 'registry', type, modelId: c.modelId, modelName: c.modelName, version: c.version ?? undefined, versionId: c.versionId ?? undefined, alias: c.alias ?? undefined });
        const notice = { event: type, actor: actor.name, model: { id: c.modelId, name: c.modelName }, version: c.version ?? null, versionId: c.versionId ?? null, alias: c.alias ?? null, from: c.from ?? null, to: c.to ?? null };
        jobIds.push(...(await this.webhooks.enqueueFor(tx, notice)));
      });
    }, TX);
    for (const e of events) await this.events.publish(e);
    await this.webhooks.announce(jobIds);
    return result;
  }
}
