import type { PrismaClient } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { similarNames } from './hints.js';

/**
 * What a user may type for a dataset version: its id, `name` (the latest version) or
 * `name@version`. Returns the version's id, or undefined when nothing matches. An id wins over a
 * name, and a whole name (which may hold an `@`) over a name@version reading.
 */
export async function findDatasetRef(prisma: PrismaClient, ref: string): Promise<string | undefined> {
  const byId = await prisma.dataset.findUnique({ where: { id: ref }, select: { id: true } });
  if (byId) return byId.id;
  const latest = await prisma.dataset.findFirst({ where: { name: ref }, orderBy: { version: 'desc' }, select: { id: true } });
  if (latest) return latest.id;
  const at = /^(.+)@(\d+)$/.exec(ref);
  if (!at) return undefined;
  const version = await prisma.dataset.findUnique({ where: { name_version: { name: at[1], version: Number(at[2]) } }, select: { id: true } });
  return version?.id;
}

/** As findDatasetRef, but an unknown reference is DATASET_NOT_FOUND naming the known names that look alike. */
export async function resolveDatasetRef(prisma: PrismaClient, ref: string): Promise<string> {
  const id = await findDatasetRef(prisma, ref);
  if (id) return id;
  const names = (await prisma.dataset.findMany({ distinct: ['name'], select: { name: true }, orderBy: { name: 'asc' } })).map((d) => d.name);
  const base = /^(.+)@\d+$/.exec(ref)?.[1] ?? ref;
  throw errors.datasetRefNotFound(ref, names.length ? similarNames(base, names) : undefined);
}
