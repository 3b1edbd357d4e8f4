import type { Artifact, PrismaClient } from '../db/generated/client.js';
import { errors } from '../errors.js';
import { versionsOfRun } from '../runs/repository.js';

/** Data access for artifact files: the `Artifact` rows of a run, keyed by their `uri`. */

/** What artifact rules need of a run: its project, whether it or its project is deleted. */
export const findRun = (prisma: PrismaClient, id: string) =>
  prisma.run.findUnique({ where: { id }, select: { id: true, projectId: true, deletedAt: true, project: { select: { deletedAt: true } } } });

/** The registered versions made from a run (`model/3`), deleted ones included: they can be restored. */
export const registeredVersions = (prisma: PrismaClient, runId: string) => versionsOfRun(prisma, runId);

/** The row of the file at `uri`, whatever its name (tagfusion's own `model` row has `<run>/model.json`). */
export const rowAt = (prisma: PrismaClient, runId: string, uri: string) => prisma.artifact.findFirst({ where: { runId, uri } });

/** The rows whose uri is one of `uris` (the parents of a path, to find a file where a folder must be). */
export const rowsAt = (prisma: PrismaClient, runId: string, uris: string[]) => prisma.artifact.findMany({ where: { runId, uri: { in: uris } } });

/**
 * The rows under `prefix` (a uri ending with `/`). LIKE treats `_` and `%` in the prefix as
 * wildcards, so the match is checked again here; the extra rows only cost their transfer.
 */
export async function rowsUnder(prisma: PrismaClient, runId: string, prefix: string, take?: number): Promise<Artifact[]> {
  const rows = await prisma.artifact.findMany({ where: { runId, uri: { startsWith: prefix } }, orderBy: { uri: 'asc' }, ...(take ? { take } : {}) });
  return rows.filter((r) => r.uri.startsWith(prefix));
}

/** A row named `name` at another uri: the name an upload would take is held by another file. */
export const otherRowNamed = (prisma: PrismaClient, runId: string, name: string, uri: string) =>
  prisma.artifact.findFirst({ where: { runId, name, NOT: { uri } }, select: { id: true } });

/**
 * Records an uploaded file: updates the row at its uri (keeping its name and kind, so a replaced
 * `model.json` stays tagfusion's `model`), or creates one named by its path, kind `file`.
 */
export async function saveFileRow(prisma: PrismaClient, row: { runId: string; path: string; uri: string; sizeBytes: number; sha256: string }): Promise<Artifact> {
  const existing = await rowAt(prisma, row.runId, row.uri);
  const data = { sizeBytes: BigInt(row.sizeBytes), checksum: row.sha256, createdAt: new Date() };
  if (existing) return prisma.artifact.update({ where: { id: existing.id }, data });
  try {
    return await prisma.artifact.create({ data: { runId: row.runId, name: row.path, kind: 'file', uri: row.uri, ...data } });
  } catch (err) {
    // Another process took the name between our check and this insert.
    if ((err as { code?: string }).code === 'P2002') throw errors.conflict(`Run ${row.runId} already has an artifact named ${row.path}; retry the upload.`, { runId: row.runId });
    throw err;
  }
}

export const deleteRows = (prisma: PrismaClient, ids: string[]) => prisma.artifact.deleteMany({ where: { id: { in: ids } } });
