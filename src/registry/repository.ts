import type { ModelAlias, ModelVersion, Prisma, PrismaClient, RegisteredModel } from '../db/generated/client.js';

/** A Prisma client or an interactive transaction. */
export type Client = PrismaClient | Prisma.TransactionClient;
export type Tx = Prisma.TransactionClient;

export type AliasRow = ModelAlias & { version: { version: number } };

export const findModelByName = (c: Client, name: string) => c.registeredModel.findUnique({ where: { name } });
export const findModelsByIds = (c: Client, ids: readonly string[]) => c.registeredModel.findMany({ where: { id: { in: [...ids] } } });

/** A page of models by name; one row more than asked tells whether another page follows. */
export async function listModels(c: Client, search: string | undefined, first: number, offset: number) {
  const rows = await c.registeredModel.findMany({
    where: search ? { name: { contains: search, mode: 'insensitive' } } : {},
    orderBy: { name: 'asc' },
    skip: offset,
    take: first + 1,
  });
  return { rows: rows.slice(0, first), hasMore: rows.length > first };
}

/** Every live (not deleted) version of the models, newest first. */
export const versionsOf = (c: Client, modelIds: readonly string[]) =>
  c.modelVersion.findMany({ where: { modelId: { in: [...modelIds] }, deletedAt: null }, orderBy: [{ modelId: 'asc' }, { version: 'desc' }] });

export const aliasesOf = (c: Client, modelIds: readonly string[]): Promise<AliasRow[]> =>
  c.modelAlias.findMany({ where: { modelId: { in: [...modelIds] } }, include: { version: { select: { version: true } } }, orderBy: [{ modelId: 'asc' }, { alias: 'asc' }] });

/** A live version; a deleted one is gone for every reader. */
export const findVersion = (c: Client, modelId: string, version: number) => c.modelVersion.findFirst({ where: { modelId, version, deletedAt: null } });
export const findVersionsByIds = (c: Client, ids: readonly string[]) => c.modelVersion.findMany({ where: { id: { in: [...ids] } } });

export const findAlias = (c: Client, modelId: string, alias: string): Promise<AliasRow | null> =>
  c.modelAlias.findUnique({ where: { modelId_alias: { modelId, alias } }, include: { version: { select: { version: true } } } });

/** The run with its artifacts, for registration. */
export const runForRegistration = (c: Client, runId: string) => c.run.findUnique({ where: { id: runId }, include: { artifacts: true } });

export const epochMetrics = (c: Client, runId: string, epoch: number) =>
  c.epochMetric.findMany({ where: { runId, epoch }, select: { split: true, name: true, value: true } });

export const runSummaries = async (c: Client, ids: string[]) => (await c.run.findMany({ where: { id: { in: ids } }, select: { summary: true } })).map((r) => r.summary);

/**
 * Creates the model unless it exists (INSERT … ON CONFLICT DO NOTHING), so two registrations
 * racing to create the same name meet at its unique key instead of failing. Returns whether
 * this call created it.
 */
export async function ensureModel(tx: Tx, name: string, description: string | null | undefined): Promise<boolean> {
  const { count } = await tx.registeredModel.createMany({ data: [{ name, description: description ?? null }], skipDuplicates: true });
  return count === 1;
}

/**
 * Locks the model's row until the transaction ends (SELECT … FOR UPDATE). Every registry change
 * to one model takes this lock first, so version numbers, alias moves and the promotion rule's
 * comparison see one order of events. PGlite has one connection and serialises transactions.
 */
export async function lockModel(tx: Tx, name: string): Promise<RegisteredModel | null> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "RegisteredModel" WHERE "name" = ${name} FOR UPDATE`;
  if (!rows.length) return null;
  return tx.registeredModel.findUnique({ where: { id: rows[0].id } });
}

export const versionOfArtifact = (tx: Tx, modelId: string, runId: string, checksum: string) =>
  tx.modelVersion.findFirst({ where: { modelId, runId, artifactChecksum: checksum, deletedAt: null }, orderBy: { version: 'asc' } });

/** The next version number (deleted versions keep theirs, as in MLflow); only correct with the model row locked. */
export async function nextVersion(tx: Tx, modelId: string): Promise<number> {
  const { _max } = await tx.modelVersion.aggregate({ where: { modelId }, _max: { version: true } });
  return (_max.version ?? 0) + 1;
}

export const createVersion = (tx: Tx, data: Prisma.ModelVersionUncheckedCreateInput): Promise<ModelVersion> => tx.modelVersion.create({ data });

export const updateModel = (tx: Tx, id: string, data: Prisma.RegisteredModelUncheckedUpdateInput) => tx.registeredModel.update({ where: { id }, data });

export const setVersionTags = (tx: Tx, id: string, tags: Record<string, string>) => tx.modelVersion.update({ where: { id }, data: { tags } });

export const upsertAlias = (tx: Tx, modelId: string, alias: string, versionId: string, protect: boolean) =>
  tx.modelAlias.upsert({
    where: { modelId_alias: { modelId, alias } },
    create: { modelId, alias, versionId, protected: protect },
    update: { versionId, protected: protect },
    include: { version: { select: { version: true } } },
  });

export const setAliasProtected = (tx: Tx, modelId: string, alias: string, protect: boolean) =>
  tx.modelAlias.update({ where: { modelId_alias: { modelId, alias } }, data: { protected: protect }, include: { version: { select: { version: true } } } });

export const deleteAlias = (tx: Tx, modelId: string, alias: string) => tx.modelAlias.delete({ where: { modelId_alias: { modelId, alias } } });

export const setVersionFields = (tx: Tx, id: string, data: Prisma.ModelVersionUncheckedUpdateInput) => tx.modelVersion.update({ where: { id }, data });

/** Every model with its tags, by name: MLflow's searches filter them in memory (registries hold hundreds). */
export const allModels = (c: Client) => c.registeredModel.findMany({ orderBy: { name: 'asc' } });

/** Live versions, with their model's name, optionally of one model or one run. */
export const liveVersions = (c: Client, where: { modelId?: string; runId?: string } = {}) =>
  c.modelVersion.findMany({ where: { ...where, deletedAt: null }, include: { model: { select: { name: true } } }, orderBy: [{ modelId: 'asc' }, { version: 'desc' }] });

export const deleteModelRow = (tx: Tx, id: string) => tx.registeredModel.delete({ where: { id } });

/** Aliases pointing at one version (they go when it is deleted). */
export const aliasesOfVersion = (c: Client, versionId: string) => c.modelAlias.findMany({ where: { versionId }, orderBy: { alias: 'asc' } });
