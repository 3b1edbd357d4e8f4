import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import type { Prisma } from '../db/generated/client.js';
import type { RegistryEventType } from '../events/bus.js';
import { errors } from '../errors.js';
import type { JobService } from '../jobs/service.js';
import { requireRole, type Actor } from '../registry/actor.js';
import { writeAudit } from '../registry/audit.js';
import { modelName, parse } from '../registry/input.js';
import { findModelByName } from '../registry/repository.js';
import { webhookDeliveryJob } from './delivery-job.js';
import * as repo from './repository.js';
import { newSecret } from './signing.js';
import { resolveTarget } from './target.js';
import { webhookUrl } from './url.js';

type Tx = Prisma.TransactionClient;

export const REGISTRY_EVENT_TYPES: readonly RegistryEventType[] = ['MODEL_CREATED', 'VERSION_CREATED', 'ALIAS_MOVED', 'ALIAS_DELETED', 'TAGS_CHANGED'];

/** A registry change as webhooks receive it (the delivery's JSON body adds its id and time). */
export interface RegistryNotice {
  event: RegistryEventType;
  actor: string;
  model: { id: string; name: string };
  version?: number | null;
  versionId?: string | null;
  alias?: string | null;
  from?: unknown;
  to?: unknown;
}

const createInput = z.object({
  url: webhookUrl,
  model: modelName.nullish(),
  events: z.array(z.enum(REGISTRY_EVENT_TYPES as [RegistryEventType, ...RegistryEventType[]])).max(REGISTRY_EVENT_TYPES.length).nullish(),
});

/**
 * Webhooks: registration (the secret is returned once, here, and never again), deliveries as
 * `webhook-delivery` jobs enqueued in the transaction of the change they report, and the log.
 */
export class WebhookService {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobService,
    /** TAGFUSION_WEBHOOK_ALLOW_PRIVATE: whether targets on private networks may be registered */
    private readonly options: { allowPrivate: boolean },
  ) {}

  /** Registers a webhook of one model or of all; admin only (it sends registry data out). */
  async create(actor: Actor, raw: unknown) {
    requireRole(actor, 'admin', 'Registering a webhook');
    const input = parse(createInput, raw);
    const model = input.model ? await findModelByName(this.db.prisma, input.model) : null;
    if (input.model && !model) throw errors.modelNotFound(input.model);
    // Checked again at each delivery: the name may resolve elsewhere by then.
    const target = await resolveTarget(new URL(input.url), this.options.allowPrivate);
    if (!target.ok) throw errors.badInput(`url: ${target.reason}`, { field: 'url' });
    const secret = newSecret();
    const events = [...new Set(input.events ?? [])];
    const webhook = await this.db.prisma.$transaction(async (tx) => {
      const created = await repo.createWebhook(tx, { url: input.url, modelId: model?.id ?? null, events, secret, createdBy: actor.name });
      // The URL may carry a token (chat webhooks do), and the log is readable by every role: only its host is recorded.
      await writeAudit(tx, actor, { action: 'WEBHOOK_CREATED', modelId: model?.id, modelName: model?.name, to: { webhookId: created.id, host: new URL(input.url).host, events } });
      return created;
    });
    return { webhook, secret };
  }

  async delete(actor: Actor, id: string): Promise<boolean> {
    requireRole(actor, 'admin', 'Deleting a webhook');
    const webhook = await this.get(id);
    const model = webhook.modelId ? await this.db.prisma.registeredModel.findUnique({ where: { id: webhook.modelId } }) : null;
    await this.db.prisma.$transaction(async (tx) => {
      await repo.deleteWebhook(tx, id);
      await writeAudit(tx, actor, { action: 'WEBHOOK_DELETED', modelId: webhook.modelId, modelName: model?.name, from: { webhookId: id, host: new URL(webhook.url).host, events: webhook.events } });
    });
    return true;
  }

  async get(id: string) {
    const webhook = await repo.findWebhook(this.db.prisma, id);
    if (!webhook) throw errors.webhookNotFound(id);
    return webhook;
  }

  /** One model's webhooks (by name), or every webhook. */
  async list(model?: string) {
    if (!model) return repo.listWebhooks(this.db.prisma, undefined);
    const m = await findModelByName(this.db.prisma, model);
    if (!m) throw errors.modelNotFound(model);
    return repo.listWebhooks(this.db.prisma, m.id);
  }

  deliveries = (webhookId: string, first: number, offset: number) => repo.listDeliveries(this.db.prisma, webhookId, first, offset);
  delivery = (id: string) => repo.findDelivery(this.db.prisma, id);
  attempts = (deliveryIds: readonly string[]) => repo.attemptsOf(this.db.prisma, deliveryIds);

  /** Queues a PING to the webhook, signed and retried like any delivery. */
  async test(actor: Actor, id: string) {
    requireRole(actor, 'admin', 'Testing a webhook');
    await this.get(id);
    const { deliveryId, jobId } = await this.db.prisma.$transaction((tx) => this.enqueue(tx, id, 'PING', { webhookId: id, actor: actor.name }));
    await this.jobs.announce([jobId]);
    return (await repo.findDelivery(this.db.prisma, deliveryId))!;
  }

  /**
   * Queues one delivery per interested webhook, inside the caller's transaction: the change and
   * its deliveries commit together or not at all. Returns the job ids, to `announce` after commit.
   */
  async enqueueFor(tx: Tx, notice: RegistryNotice): Promise<string[]> {
    const hooks = await repo.webhooksFor(tx, notice.model.id, notice.event);
    const jobIds: string[] = [];
    for (const h of hooks) jobIds.push((await this.enqueue(tx, h.id, notice.event, notice)).jobId);
    return jobIds;
  }

  /** Publishes the QUEUED events of jobs enqueued in a committed transaction. */
  announce = (jobIds: string[]) => this.jobs.announce(jobIds);

  private async enqueue(tx: Tx, webhookId: string, event: string, content: object) {
    const deliveryId = randomUUID();
    // Serialised once: every attempt sends (and signs) exactly these bytes.
    const body = JSON.stringify({ id: deliveryId, event, occurredAt: new Date().toISOString(), ...content });
    const job = await this.jobs.enqueueIn(tx, webhookDeliveryJob.kind, { deliveryId });
    await repo.createDelivery(tx, { id: deliveryId, webhookId, event, body, jobId: job.id });
    return { deliveryId, jobId: job.id };
  }
}
