import type { Prisma, PrismaClient, Project } from '../db/generated/client.js';

type Db = PrismaClient | Prisma.TransactionClient;

export const DEFAULT_PROJECT_ID = 0;

export const findProject = (db: Db, id: number) => db.project.findUnique({ where: { id } });
export const findProjectByName = (db: Db, name: string) => db.project.findUnique({ where: { name } });

export const createProject = (db: Db, p: { name: string; description?: string | null; tags?: Record<string, string> }) =>
  db.project.create({ data: { name: p.name, description: p.description ?? null, tags: p.tags ?? {} } });

export const updateProject = (db: Db, id: number, data: { name?: string; description?: string | null; tags?: Record<string, string>; deletedAt?: Date | null }) =>
  db.project.update({ where: { id }, data });

export interface ProjectQuery {
  lifecycle: 'ACTIVE' | 'DELETED' | 'ALL';
  /** case-insensitive substring of the name */
  search?: string | null;
  /** exact name (MLflow's `name = 'x'` filter) */
  names?: string[] | null;
}

/** Projects by id, `first` of them after the id `afterId` (a keyset page), and whether more follow. */
export async function listProjects(db: Db, q: ProjectQuery, first: number, afterId: number | null): Promise<{ projects: Project[]; hasMore: boolean }> {
  const where: Prisma.ProjectWhereInput = {
    ...(q.lifecycle === 'ACTIVE' ? { deletedAt: null } : q.lifecycle === 'DELETED' ? { deletedAt: { not: null } } : {}),
    ...(q.search ? { name: { contains: q.search, mode: 'insensitive' } } : {}),
    ...(q.names?.length ? { name: { in: q.names } } : {}),
    ...(afterId !== null ? { id: { gt: afterId } } : {}),
  };
  const rows = await db.project.findMany({ where, orderBy: { id: 'asc' }, take: first + 1 });
  return { projects: rows.slice(0, first), hasMore: rows.length > first };
}

export const projectsByIds = (db: Db, ids: readonly number[]) => db.project.findMany({ where: { id: { in: [...ids] } } });

/** Runs per project that are not deleted, for the projects table. */
export async function runCounts(db: Db, ids: readonly number[]): Promise<Map<number, number>> {
  const rows = await db.run.groupBy({ by: ['projectId'], where: { projectId: { in: [...ids] }, deletedAt: null }, _count: { _all: true } });
  return new Map(rows.map((r) => [r.projectId, r._count._all]));
}

/** Soft-deletes or restores a project's runs with it (MLflow: deleting an experiment deletes its runs). */
export const setRunsDeleted = (db: Db, projectId: number, deletedAt: Date | null, onlyDeletedAt?: Date) =>
  db.run.updateMany({ where: { projectId, ...(deletedAt ? { deletedAt: null } : { deletedAt: onlyDeletedAt }) }, data: { deletedAt } });
