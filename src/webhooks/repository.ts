import type { Prisma, PrismaClient } from '../db/generated/client.js';
import type { WebhookDeliveryStatus } from '../db/generated/enums.js';

type Client = PrismaClient | Prisma.TransactionClient;
type Tx = Prisma.TransactionClient;

/** Webhooks as everything but the delivery job sees them: without the secret. */
const PUBLIC = { secret: true } as const;

export const createWebhook = (tx: Tx, data: { url: string; modelId: string | null; events: string[]; secret: string; createdBy: string }) =>
  tx.webhook.create({ data, omit: PUBLIC });

export const findWebhook = (c: Client, id: string) => c.webhook.findUnique({ where: { id }, omit: PUBLIC });

/** One model's webhooks, or every webhook (model undefined), oldest first. */
export const listWebhooks = (c: Client, modelId: string | undefined) =>
  c.webhook.findMany({ where: modelId ? { modelId } : {}, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], omit: PUBLIC });

export const deleteWebhook = (tx: Tx, id: string) => tx.webhook.deleteMany({ where: { id } });

/** Active webhooks that want `event` about the model: the model's own and the global ones. */
export const webhooksFor = (c: Client, modelId: string, event: string) =>
  c.webhook.findMany({
    where: { active: true, OR: [{ modelId }, { modelId: null }], AND: [{ OR: [{ events: { isEmpty: true } }, { events: { has: event } }] }] },
    select: { id: true },
    orderBy: { createdAt: 'asc' },
  });

export const createDelivery = (tx: Tx, data: { id: string; webhookId: string; event: string; body: string; jobId: string }) => tx.webhookDelivery.create({ data });

/** The delivery with its webhook's URL and secret: for the delivery job only. */
export const deliveryToSend = (c: Client, id: string) => c.webhookDelivery.findUnique({ where: { id }, include: { webhook: true } });

export async function recordAttempt(
  c: PrismaClient,
  deliveryId: string,
  attempt: number,
  outcome: { statusCode: number | null; error: string | null; durationMs: number },
  status: WebhookDeliveryStatus,
): Promise<void> {
  const finished = status === 'SUCCEEDED' || status === 'FAILED';
  const row = { statusCode: outcome.statusCode, error: outcome.error, durationMs: outcome.durationMs };
  await c.$transaction([
    // a re-run of the same attempt (a worker died after the POST) overwrites its row
    c.webhookAttempt.upsert({
      where: { deliveryId_attempt: { deliveryId, attempt } },
      create: { deliveryId, attempt, ...row },
      update: { ...row, at: new Date() },
    }),
    c.webhookDelivery.update({
      where: { id: deliveryId },
      data: { status, attempts: attempt, statusCode: outcome.statusCode, error: outcome.error, finishedAt: finished ? new Date() : null },
    }),
  ]);
}

export const setDeliveryStatus = (c: Client, id: string, status: WebhookDeliveryStatus, error: string) =>
  c.webhookDelivery.update({ where: { id }, data: { status, error, finishedAt: new Date() } });

/** A page of a webhook's deliveries, newest first. */
export async function listDeliveries(c: Client, webhookId: string, first: number, offset: number) {
  const rows = await c.webhookDelivery.findMany({ where: { webhookId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], skip: offset, take: first + 1 });
  return { rows: rows.slice(0, first), hasMore: rows.length > first };
}

export const findDelivery = (c: Client, id: string) => c.webhookDelivery.findUnique({ where: { id } });

export const attemptsOf = (c: Client, deliveryIds: readonly string[]) =>
  c.webhookAttempt.findMany({ where: { deliveryId: { in: [...deliveryIds] } }, orderBy: [{ deliveryId: 'asc' }, { attempt: 'asc' }] });
