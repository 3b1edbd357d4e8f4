import type { PrismaClient } from '../db/generated/client.js';
import { errors } from '../errors.js';

/** The shortest start of a run id accepted in its place: the 8 characters the CLI's tables print. */
export const SHORT_RUN_ID = 8;
const MAX_LISTED = 10;

/**
 * What a user may type for a run: its id, its name where one run (not deleted) has it, or the
 * start of its id (at least SHORT_RUN_ID characters, as tables print it). A name or id start
 * that fits several runs is RUN_AMBIGUOUS listing their ids; nothing at all is RUN_NOT_FOUND.
 */
export async function resolveRunRef(prisma: PrismaClient, ref: string): Promise<string> {
  const byId = await prisma.run.findUnique({ where: { id: ref }, select: { id: true } });
  if (byId) return byId.id;
  const named = await prisma.run.findMany({ where: { name: ref, deletedAt: null }, select: { id: true }, orderBy: { createdAt: 'desc' }, take: MAX_LISTED + 1 });
  if (named.length === 1) return named[0].id;
  if (named.length > 1) throw errors.runAmbiguous(ref, named.map((r) => r.id).slice(0, MAX_LISTED), named.length > MAX_LISTED);
  if (ref.length >= SHORT_RUN_ID && /^[0-9a-f-]+$/i.test(ref)) {
    const started = await prisma.run.findMany({ where: { id: { startsWith: ref.toLowerCase() } }, select: { id: true }, take: MAX_LISTED + 1 });
    if (started.length === 1) return started[0].id;
    if (started.length > 1) throw errors.runAmbiguous(ref, started.map((r) => r.id).slice(0, MAX_LISTED), started.length > MAX_LISTED);
  }
  throw errors.runRefNotFound(ref);
}
