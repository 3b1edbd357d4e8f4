import { join, relative } from 'node:path';
import type { PrismaClient } from '../db/generated/client.js';
import type { WorkerPool } from '../jobs/pool.js';
import type { DevicePreference } from '../ml/backend.js';
import type { EncoderSpec } from '../ml/encoders/registry.js';
import type { EncoderInfo } from '../ml/encoders/types.js';
import type { EncoderTaskInput, ExtractPartInput } from '../workers/features.js';
import { existingParts, featureSetDir, partCount, PART_SIZE, writeMeta } from './store.js';

export interface ExtractionContext {
  prisma: PrismaClient;
  pool: WorkerPool;
  /** root folder of the feature store */
  storeRoot: string;
  device: DevicePreference;
  signal?: AbortSignal;
  /** fraction of this extraction done, 0–1 */
  onProgress?: (fraction: number) => void;
}

export interface DatasetForExtraction {
  id: string;
  checksum: string;
  imagesDir: string | null;
  /** samples in dataset order (by id) */
  samples: { imagePath: string | null; caption: string }[];
  /** captions of the training split, for fitted encoders */
  fitCaptions: string[];
}

export interface ExtractedSet {
  dir: string;
  dim: number;
  count: number;
  encoder: EncoderInfo;
  /** true when every part was already cached */
  cached: boolean;
}

/**
 * Makes sure the features of (dataset, encoder, variant) are in the store, computing only the
 * missing parts in the worker pool, and records the set. Repeated calls cost one encoder
 * creation per worker thread and a directory listing.
 */
export async function ensureFeatureSet(ctx: ExtractionContext, dataset: DatasetForExtraction, spec: EncoderSpec, variant: string): Promise<ExtractedSet> {
  const started = performance.now();
  const base: EncoderTaskInput = { spec, fitCaptions: dataset.fitCaptions, device: ctx.device };
  const encoder = await ctx.pool.run<EncoderTaskInput, EncoderInfo>('encoderInfo', base, { signal: ctx.signal });
  if (encoder.modality === 'image' && !dataset.imagesDir) throw new Error(`dataset ${dataset.id} has no images for encoder ${spec.id}`);
  const dir = featureSetDir(ctx.storeRoot, { encoderId: encoder.id, encoderVersion: encoder.version, contentHash: dataset.checksum, variant });
  const count = dataset.samples.length;
  const have = await existingParts(dir);
  const missing = Array.from({ length: partCount(count) }, (_, i) => i).filter((p) => !have.has(p));
  let done = partCount(count) - missing.length;
  ctx.onProgress?.(done / partCount(count));
  await Promise.all(
    missing.map(async (part) => {
      const slice = dataset.samples.slice(part * PART_SIZE, (part + 1) * PART_SIZE);
      const items = encoder.modality === 'image' ? slice.map((s) => join(dataset.imagesDir!, s.imagePath!)) : slice.map((s) => s.caption);
      await ctx.pool.run<ExtractPartInput, unknown>('extractPart', { ...base, dir, part, items, variant }, { signal: ctx.signal });
      ctx.onProgress?.(++done / partCount(count));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (missing.length) {
    await writeMeta(dir, { encoderId: encoder.id, encoderVersion: encoder.version, contentHash: dataset.checksum, variant, dim: encoder.dim, count, preprocessing: encoder.preprocessing, createdAt: new Date().toISOString() });
  }
  const record = { modality: encoder.modality, dim: encoder.dim, count, path: relative(ctx.storeRoot, dir), encoder: { ...encoder, source: spec } as object, seconds };
  await ctx.prisma.featureSet.upsert({
    where: { datasetId_encoderId_encoderVersion_variant: { datasetId: dataset.id, encoderId: encoder.id, encoderVersion: encoder.version, variant } },
    create: { datasetId: dataset.id, encoderId: encoder.id, encoderVersion: encoder.version, variant, ...record },
    update: missing.length ? record : {},
  });
  return { dir, dim: encoder.dim, count, encoder, cached: missing.length === 0 };
}

/** Loads what extraction needs about a dataset: samples in order and training captions. */
export async function loadDatasetForExtraction(prisma: PrismaClient, datasetId: string): Promise<DatasetForExtraction & { classIds: number[]; labels: number[][]; splits: string[] }> {
  const dataset = await prisma.dataset.findUniqueOrThrow({ where: { id: datasetId } });
  const samples = await prisma.sample.findMany({ where: { datasetId }, orderBy: { id: 'asc' }, select: { imagePath: true, caption: true, split: true, labels: true } });
  const classes = await prisma.labelClass.findMany({ where: { datasetId }, orderBy: { index: 'asc' } });
  return {
    id: dataset.id,
    checksum: dataset.checksum,
    imagesDir: dataset.imagesDir,
    samples,
    fitCaptions: samples.filter((s) => s.split === 'TRAIN').map((s) => s.caption),
    classIds: classes.map((c) => c.classId),
    labels: samples.map((s) => s.labels),
    splits: samples.map((s) => s.split),
  };
}
