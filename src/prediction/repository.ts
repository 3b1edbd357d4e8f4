import type { Prediction, PredictionSet, Prisma, PrismaClient } from '../db/generated/client.js';
import type { Split } from '../db/generated/enums.js';

export interface NewPredictionSet {
  modelVersionId: string;
  reference: string;
  datasetId: string;
  split: Split | null;
  classIds: number[];
}

/** What a finished prediction job records, in one transaction. */
export interface PredictionResults {
  csvPath: string;
  metrics: Prisma.InputJsonValue | null;
  rows: { imageId: string; labels: number[]; probabilities: number[] }[];
}

const ROWS_PER_INSERT = 1000;

export const createSet = (tx: Prisma.TransactionClient, s: NewPredictionSet) => tx.predictionSet.create({ data: s });

export const setJob = (prisma: PrismaClient, id: string, jobId: string) => prisma.predictionSet.update({ where: { id }, data: { jobId } });

export const findSet = (prisma: PrismaClient, id: string) => prisma.predictionSet.findUnique({ where: { id } });

/** Newest first. */
export const listSets = (prisma: PrismaClient, filter: { datasetId?: string; modelVersionId?: string }, first: number, offset: number) =>
  prisma.predictionSet.findMany({ where: filter, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: first, skip: offset });

export const listPredictions = (prisma: PrismaClient, setId: string, first: number, offset: number): Promise<Prediction[]> =>
  prisma.prediction.findMany({ where: { setId }, orderBy: { imageId: 'asc' }, take: first, skip: offset });

/**
 * Replaces the set's rows and marks it finished, all at once: a retried job rewrites the same
 * rows rather than adding to them.
 */
export async function saveResults(prisma: PrismaClient, id: string, r: PredictionResults): Promise<PredictionSet> {
  return prisma.$transaction(
    async (tx) => {
      await tx.prediction.deleteMany({ where: { setId: id } });
      for (let i = 0; i < r.rows.length; i += ROWS_PER_INSERT) {
        await tx.prediction.createMany({ data: r.rows.slice(i, i + ROWS_PER_INSERT).map((row) => ({ setId: id, ...row })) });
      }
      return tx.predictionSet.update({
        where: { id },
        data: { csvPath: r.csvPath, count: r.rows.length, metrics: r.metrics ?? undefined, finishedAt: new Date() },
      });
    },
    // 10,000 test images are ten inserts of 1,000 rows: more than the default 5 s on a busy PGlite.
    { timeout: 120_000 },
  );
}

/** Image ids of a dataset's samples, in dataset order (as loadDatasetForExtraction orders samples). */
export async function sampleImageIds(prisma: PrismaClient, datasetId: string): Promise<string[]> {
  const rows = await prisma.sample.findMany({ where: { datasetId }, orderBy: { id: 'asc' }, select: { imageId: true } });
  return rows.map((r) => r.imageId);
}

/** The image folders of every dataset: default roots for image paths. */
export async function datasetImageDirs(prisma: PrismaClient): Promise<string[]> {
  const rows = await prisma.dataset.findMany({ where: { imagesDir: { not: null } }, select: { imagesDir: true }, distinct: ['imagesDir'] });
  return rows.map((r) => r.imagesDir!);
}

/** An artifact file of a run, as the artifact store recorded it. */
export interface StoredFile {
  /** path inside the run's artifacts */
  name: string;
  /** location relative to the artifact root */
  uri: string;
  checksum: string;
}

/** The run's artifact files under `folder` ('' for all), by path. */
export async function folderFiles(prisma: PrismaClient, runId: string, folder: string): Promise<StoredFile[]> {
  return prisma.artifact.findMany({
    where: { runId, ...(folder ? { name: { startsWith: `${folder}/` } } : {}) },
    select: { name: true, uri: true, checksum: true },
    orderBy: { name: 'asc' },
  });
}

/** The run's tagfusion model file (model.json), if it has one. */
export const runModelFile = (prisma: PrismaClient, runId: string): Promise<StoredFile | null> =>
  prisma.artifact.findUnique({ where: { runId_name: { runId, name: 'model' } }, select: { name: true, uri: true, checksum: true } });
