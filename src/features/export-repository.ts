import type { PrismaClient } from '../db/generated/client.js';

/** The reads a feature export makes: the dataset, its label ids and rows, the run, the cached set. */

export const findDataset = (prisma: PrismaClient, id: string) => prisma.dataset.findUnique({ where: { id }, select: { id: true, name: true, version: true } });

/** The dataset's label ids in the order of their index (a model's output order). */
export async function classIds(prisma: PrismaClient, datasetId: string): Promise<number[]> {
  const rows = await prisma.labelClass.findMany({ where: { datasetId }, orderBy: { index: 'asc' }, select: { classId: true } });
  return rows.map((r) => r.classId);
}

/** Every sample's image id, split and labels, in dataset order (by sample id, as features are stored). */
export const sampleRows = (prisma: PrismaClient, datasetId: string) =>
  prisma.sample.findMany({ where: { datasetId }, orderBy: { id: 'asc' }, select: { imageId: true, split: true, labels: true } });

export const runExists = async (prisma: PrismaClient, id: string) => Boolean(await prisma.run.findUnique({ where: { id }, select: { id: true } }));

/** The cached set of the dataset's original inputs by one encoder version, if it was extracted. */
export const findFeatureSet = (prisma: PrismaClient, datasetId: string, encoderId: string, encoderVersion: string) =>
  prisma.featureSet.findUnique({
    where: { datasetId_encoderId_encoderVersion_variant: { datasetId, encoderId, encoderVersion, variant: 'original' } },
    select: { path: true, dim: true, count: true, encoder: true },
  });
