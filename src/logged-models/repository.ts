import type { LoggedModel, Prisma, PrismaClient } from '../db/generated/client.js';

/** Data access for MLflow 3's logged models and the runs' model outputs. */

type Client = PrismaClient | Prisma.TransactionClient;

export type { LoggedModel };

/** A live (not deleted) logged model, or null. */
export async function findLive(c: Client, id: string): Promise<LoggedModel | null> {
  const m = await c.loggedModel.findUnique({ where: { id } });
  return m && !m.deletedAt ? m : null;
}

export const create = (c: Client, data: Prisma.LoggedModelUncheckedCreateInput) => c.loggedModel.create({ data });

export const update = (c: Client, id: string, data: Prisma.LoggedModelUncheckedUpdateInput) => c.loggedModel.update({ where: { id }, data });

/** Live models of the projects, newest first (MLflow's default order); searches sort further in memory. */
export const liveOfProjects = (c: Client, projectIds: number[]) =>
  c.loggedModel.findMany({ where: { projectId: { in: projectIds }, deletedAt: null }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });

/** Records that a run output a model at a step; logging it again moves the step. */
export const saveOutput = (c: Client, runId: string, modelId: string, step: bigint) =>
  c.loggedModelOutput.upsert({ where: { runId_modelId: { runId, modelId } }, create: { runId, modelId, step }, update: { step } });

/** The live model outputs of the runs, in one query. */
export const outputsOf = (c: Client, runIds: string[]) =>
  c.loggedModelOutput.findMany({ where: { runId: { in: runIds }, model: { deletedAt: null } }, orderBy: [{ runId: 'asc' }, { modelId: 'asc' }] });

/** The newest live model a run logged under a name (`runs:/<run>/<name>` as MLflow 3 resolves it). */
export const newestOfRunNamed = (c: Client, runId: string, name: string) =>
  c.loggedModel.findFirst({ where: { sourceRunId: runId, name, deletedAt: null }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
