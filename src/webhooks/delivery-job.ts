import { z } from 'zod';
import { errors } from '../errors.js';
import type { JobDefinition } from '../jobs/types.js';
import * as repo from './repository.js';
import { sendDelivery } from './send.js';

const payloadSchema = z.object({
  /** the WebhookDelivery row to send */
  deliveryId: z.string().min(1),
});

export type WebhookDeliveryPayload = z.infer<typeof payloadSchema>;

/**
 * Sends one webhook delivery. A failed attempt throws, and pg-boss retries it with exponential
 * backoff (2 s, then about 4, 8, … with jitter: 8 retries span roughly 9 to 17 minutes); a
 * target refused by the address rules fails at once (src/webhooks/target.ts). Each
 * attempt is logged on the delivery; a delivery that succeeded, or whose webhook was deleted or
 * disabled, is not sent again, so a re-delivered queue message is harmless.
 */
export const webhookDeliveryJob: JobDefinition<WebhookDeliveryPayload, Record<string, unknown>> = {
  kind: 'webhook-delivery',
  retryLimit: 8,
  retryDelaySeconds: 2,
  expireInSeconds: 60,
  parsePayload: (p) => payloadSchema.parse(p),
  async run(ctx, { deliveryId }) {
    const { prisma } = ctx.db;
    const delivery = await repo.deliveryToSend(prisma, deliveryId);
    if (!delivery) return { deliveryId, skipped: 'the delivery and its webhook were deleted' };
    if (delivery.status === 'SUCCEEDED' || delivery.status === 'CANCELLED') return { deliveryId, skipped: `already ${delivery.status.toLowerCase()}` };
    if (!delivery.webhook.active) {
      await repo.setDeliveryStatus(prisma, deliveryId, 'CANCELLED', 'the webhook was disabled');
      return { deliveryId, skipped: 'the webhook is disabled' };
    }
    // Counted on the row rather than from the job's attempt: orphan recovery may re-run an attempt.
    const attempt = delivery.attempts + 1;
    const outcome = await sendDelivery(delivery.webhook, delivery, { signal: ctx.signal, allowPrivate: ctx.config.webhookAllowPrivate });
    const last = ctx.attempt > webhookDeliveryJob.retryLimit;
    await repo.recordAttempt(prisma, deliveryId, attempt, outcome, outcome.ok ? 'SUCCEEDED' : last || outcome.refused ? 'FAILED' : 'RETRYING');
    // A refused target is a rule, not a hiccup: a catalogue error fails the job without retries.
    if (outcome.refused) throw errors.webhookTargetRefused(delivery.webhookId, outcome.refused);
    if (!outcome.ok) throw new Error(`webhook ${delivery.webhookId} ${outcome.error} (delivery ${deliveryId}, attempt ${attempt})`);
    return { deliveryId, statusCode: outcome.statusCode, attempts: attempt };
  },
};
