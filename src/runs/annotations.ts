import type { Prisma, PrismaClient } from '../db/generated/client.js';
import { encodeParamText } from './params.js';

type Db = PrismaClient | Prisma.TransactionClient;

/**
 * Data access for what may be written about a run beside its metrics: tags and the note (which
 * may change at any time, as MLflow allows), params (written once: MLflow refuses to change a
 * logged param), soft delete and restore.
 */
export const tagsOf = (db: Db, runIds: readonly string[]) => db.runTag.findMany({ where: { runId: { in: [...runIds] } }, orderBy: [{ runId: 'asc' }, { key: 'asc' }] });

export const setTags = (db: Db, runId: string, tags: { key: string; value: string }[]) =>
  Promise.all(tags.map((t) => db.runTag.upsert({ where: { runId_key: { runId, key: t.key } }, create: { runId, key: t.key, value: t.value }, update: { value: t.value } })));

/** Removes a tag; returns whether it existed. */
export const deleteTag = async (db: Db, runId: string, key: string) => (await db.runTag.deleteMany({ where: { runId, key } })).count > 0;

export const setNote = (db: Db, runId: string, note: string | null) => db.run.update({ where: { id: runId }, data: { note } });
export const setName = (db: Db, runId: string, name: string | null) => db.run.update({ where: { id: runId }, data: { name } });

/** The params of a run among `keys` that already exist, with their text. */
export const existingParams = (db: Db, runId: string, keys: string[]) =>
  db.runParam.findMany({ where: { runId, key: { in: keys } }, select: { key: true, valueText: true } });

/** Adds params given as text; a key already present is left as it is (the caller has checked it is unchanged). */
export const addParams = (db: Db, runId: string, params: { key: string; value: string }[]) =>
  db.runParam.createMany({ data: params.map((p) => ({ runId, key: p.key, ...encodeParamText(p.value) })), skipDuplicates: true });

export const setDeleted = (db: Db, runId: string, deletedAt: Date | null) => db.run.update({ where: { id: runId }, data: { deletedAt } });
