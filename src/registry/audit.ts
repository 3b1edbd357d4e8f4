import type { Prisma } from '../db/generated/client.js';
import type { Actor } from './actor.js';
import type { Client, Tx } from './repository.js';

/** What changed. The first five are also registry events (bus and webhooks). */
export type AuditAction =
  | 'MODEL_CREATED'
  | 'VERSION_CREATED'
  | 'ALIAS_MOVED'
  | 'ALIAS_DELETED'
  | 'TAGS_CHANGED'
  | 'MODEL_UPDATED'
  | 'MODEL_RENAMED'
  | 'MODEL_DELETED'
  | 'VERSION_UPDATED'
  | 'VERSION_DELETED'
  | 'ALIAS_PROTECTION_CHANGED'
  | 'PROMOTION_RULE_CHANGED'
  | 'WEBHOOK_CREATED'
  | 'WEBHOOK_DELETED'
  // an admin reopened a finished run (src/runs/service.ts); no model, the run is in from/to
  | 'RUN_REOPENED';

/** One registry change, as the audit log records it. */
export interface Change {
  action: AuditAction;
  modelId?: string | null;
  modelName?: string | null;
  version?: number | null;
  versionId?: string | null;
  alias?: string | null;
  /** state before the change (null: did not exist) */
  from?: Prisma.InputJsonValue | null;
  /** state after the change (null: no longer exists) */
  to?: Prisma.InputJsonValue | null;
}

/** Written in the transaction of the change itself: no change without its entry, and no entry without it. */
export async function writeAudit(tx: Tx, actor: Actor, c: Change): Promise<void> {
  await tx.auditLog.create({
    data: {
      actor: actor.name,
      actorRole: actor.role,
      action: c.action,
      modelId: c.modelId ?? null,
      modelName: c.modelName ?? null,
      version: c.version ?? null,
      alias: c.alias ?? null,
      before: c.from ?? undefined,
      after: c.to ?? undefined,
    },
  });
}

/**
 * Newest first, by id (a sequence, so the order is stable and pages never repeat a row);
 * `beforeId` is the last id of the previous page.
 */
export async function listAudit(c: Client, modelId: string | undefined, first: number, beforeId: bigint | undefined) {
  const rows = await c.auditLog.findMany({
    where: { ...(modelId ? { modelId } : {}), ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}) },
    orderBy: { id: 'desc' },
    take: first + 1,
  });
  return { rows: rows.slice(0, first), hasMore: rows.length > first };
}
