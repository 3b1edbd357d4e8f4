import type { Dataset, PrismaClient } from '../db/generated/client.js';
import { Prisma } from '../db/generated/client.js';
import type { Split } from '../db/generated/enums.js';
import { insertRejections, insertSamples } from './sample-rows.js';

export interface NewSample {
  imageId: string;
  /** path relative to the dataset's images folder */
  imagePath: string | null;
  imageHash: string | null;
  caption: string;
  labels: number[];
  split: Split;
  line: number;
}

export interface NewDatasetVersion {
  name: string;
  checksum: string;
  labelled: boolean;
  hasImages: boolean;
  csvPath: string;
  imagesDir: string | null;
  splitSeed: number;
  valFraction: number;
  samples: NewSample[];
  rejections: { line: number; imageId: string | null; reason: string }[];
  labelNames: Map<number, string>;
}

/**
 * Writes a dataset version with its classes, samples and rejections in one transaction, or
 * returns the existing version with the same content. Two identical imports racing each other
 * meet at the unique (name, checksum) constraint; the loser returns the winner's version.
 */
export async function saveDatasetVersion(prisma: PrismaClient, v: NewDatasetVersion): Promise<Dataset & { reused: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await prisma.$transaction(
        async (tx) => {
          const existing = await tx.dataset.findUnique({ where: { name_checksum: { name: v.name, checksum: v.checksum } } });
          if (existing) return { ...existing, reused: true };
          const last = await tx.dataset.aggregate({ where: { name: v.name }, _max: { version: true } });
          const dataset = await tx.dataset.create({
            data: {
              name: v.name,
              version: (last._max.version ?? 0) + 1,
              checksum: v.checksum,
              labelled: v.labelled,
              hasImages: v.hasImages,
              csvPath: v.csvPath,
              imagesDir: v.imagesDir,
              sampleCount: v.samples.length,
              splitSeed: v.splitSeed,
              valFraction: v.valFraction,
            },
          });
          const counts = new Map<number, number>();
          for (const s of v.samples) for (const l of s.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
          const ids = [...counts.keys()].sort((a, b) => a - b);
          await tx.labelClass.createMany({
            data: ids.map((classId, index) => ({ datasetId: dataset.id, classId, index, count: counts.get(classId)!, name: v.labelNames.get(classId) ?? null })),
          });
          await insertSamples(tx, dataset.id, v.samples);
          await insertRejections(tx, dataset.id, v.rejections);
          return { ...dataset, reused: false };
        },
        { timeout: 600_000, maxWait: 60_000 },
      );
    } catch (err) {
      if (attempt === 0 && err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') continue;
      throw err;
    }
  }
}

export const findDataset = (prisma: PrismaClient, id: string) => prisma.dataset.findUnique({ where: { id } });

/** The image path (relative to the images folder) of one sample, or null. */
export const findSampleImagePath = async (prisma: PrismaClient, datasetId: string, imageId: string) =>
  (await prisma.sample.findUnique({ where: { datasetId_imageId: { datasetId, imageId } }, select: { imagePath: true } }))?.imagePath ?? null;

export const listDatasets = (prisma: PrismaClient, name?: string) =>
  prisma.dataset.findMany({ where: name ? { name } : {}, orderBy: [{ name: 'asc' }, { version: 'desc' }] });

export const listClasses = (prisma: PrismaClient, datasetIds: readonly string[]) =>
  prisma.labelClass.findMany({ where: { datasetId: { in: [...datasetIds] } }, orderBy: [{ datasetId: 'asc' }, { index: 'asc' }] });

export const listRejections = (prisma: PrismaClient, datasetId: string, first: number, offset: number) =>
  prisma.importRejection.findMany({ where: { datasetId }, orderBy: { line: 'asc' }, take: first, skip: offset });

export const countRejections = (prisma: PrismaClient, datasetId: string) => prisma.importRejection.count({ where: { datasetId } });

export const listSamples = (prisma: PrismaClient, datasetId: string, split: Split | undefined, first: number, offset: number) =>
  prisma.sample.findMany({ where: { datasetId, ...(split ? { split } : {}) }, orderBy: { id: 'asc' }, take: first, skip: offset });

export async function splitCounts(prisma: PrismaClient, datasetId: string): Promise<Record<Split, number>> {
  const rows = await prisma.sample.groupBy({ by: ['split'], where: { datasetId }, _count: { _all: true } });
  const out = { TRAIN: 0, VAL: 0, UNLABELLED: 0 } as Record<Split, number>;
  for (const r of rows) out[r.split] = r._count._all;
  return out;
}
