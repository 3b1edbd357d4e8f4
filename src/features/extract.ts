import { basename, join, relative, sep } from 'node:path';
import type { PrismaClient } from '../db/generated/client.js';
import type { WorkerPool } from '../jobs/pool.js';
import type { DevicePreference } from '../ml/backend.js';
import type { EncoderSpec } from '../ml/encoders/registry.js';
import type { EncoderInfo } from '../ml/encoders/types.js';
import { errors, isAppError } from '../errors.js';
import { echoField } from '../util/echo.js';
import type { EncoderTaskInput, ExtractPartInput, ExtractPartProgress, extractPart } from '../workers/features.js';
import { fetchFeatureSet, publishPart, publishUnshared } from './shared-store.js';
import { existingParts, featureSetDir, partCount, PART_SIZE, readSkipped, writeMeta, type SkippedItem } from './store.js';

type ExtractPartResult = Awaited<ReturnType<typeof extractPart>>;

export interface ExtractionContext {
  prisma: PrismaClient;
  pool: WorkerPool;
  /** root folder of the feature store */
  storeRoot: string;
  device: DevicePreference;
  signal?: AbortSignal;
  /** fraction of this extraction done, 0–1, and the samples (images or captions) encoded or cached */
  onProgress?: (fraction: number, samples: { done: number; total: number; unit: 'images' | 'captions' }) => void;
  /** a sample the encoder throws on: fail the extraction (default), or give it zero features and list it */
  onEncoderError?: EncoderErrorPolicy;
}

export type EncoderErrorPolicy = 'fail' | 'skip';

/** A sample the encoder could not encode: its row in dataset order, what it is, and why. */
export interface SkippedSample {
  row: number;
  imageId?: string;
  line?: number;
  /** the image path or caption given to the encoder */
  item: string;
  error: string;
}

export interface DatasetForExtraction {
  id: string;
  checksum: string;
  imagesDir: string | null;
  /** samples in dataset order (by id) */
  samples: { imagePath: string | null; caption: string; imageId?: string; line?: number }[];
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
  /** samples with zero features because the encoder threw on them (onEncoderError 'skip') */
  skipped: SkippedSample[];
}

/**
 * Makes sure the features of (dataset, encoder, variant) are in the store, computing only the
 * missing parts in the worker pool, and records the set. Repeated calls cost one encoder
 * creation per worker thread and a read of the cached parts, whose checksums are checked: a
 * truncated or damaged part is extracted again like a missing one. With a bucket, parts extracted elsewhere
 * are downloaded first (so only parts missing everywhere are computed, and an interrupted
 * extraction resumes on any machine), each new part is uploaded once written, and the row is
 * written only when every file of the set is in the bucket. Failures other than the catalogue's
 * name the dataset and the encoder.
 */
export async function ensureFeatureSet(ctx: ExtractionContext, dataset: DatasetForExtraction, spec: EncoderSpec, variant: string): Promise<ExtractedSet> {
  try {
    return await ensure(ctx, dataset, spec, variant);
  } catch (err) {
    if (isAppError(err) || ctx.signal?.aborted) throw err;
    throw new Error(`extracting the ${spec.id} features (${variant}) of dataset ${dataset.id} failed: ${(err as Error).message}`, { cause: err });
  }
}

async function ensure(ctx: ExtractionContext, dataset: DatasetForExtraction, spec: EncoderSpec, variant: string): Promise<ExtractedSet> {
  const started = performance.now();
  const base: EncoderTaskInput = { spec, fitCaptions: dataset.fitCaptions, device: ctx.device };
  const encoder = await ctx.pool.run<EncoderTaskInput, EncoderInfo>('encoderInfo', base, { signal: ctx.signal });
  if (encoder.modality === 'image' && !dataset.imagesDir) throw new Error(`dataset ${dataset.id} has no images for encoder ${spec.id}`);
  const dir = featureSetDir(ctx.storeRoot, { encoderId: encoder.id, encoderVersion: encoder.version, contentHash: dataset.checksum, variant });
  const count = dataset.samples.length;
  const shared = await fetchFeatureSet(dir);
  const have = await existingParts(dir);
  const missing = Array.from({ length: partCount(count) }, (_, i) => i).filter((p) => !have.has(p));
  // Samples done, by part: cached parts count whole; a part being encoded, as its worker reports.
  const doneIn = new Map<number, number>();
  const unit = encoder.modality === 'image' ? 'images' : 'captions';
  const report = () => {
    let done = 0;
    for (const n of doneIn.values()) done += n;
    ctx.onProgress?.(count ? done / count : 1, { done, total: count, unit });
  };
  const partSize = (part: number) => Math.min(PART_SIZE, count - part * PART_SIZE);
  for (const part of have) if (part < partCount(count)) doneIn.set(part, partSize(part));
  report();
  const policy = ctx.onEncoderError ?? 'fail';
  const unwritten: (SkippedItem & { row: number })[] = [];
  await Promise.all(
    missing.map(async (part) => {
      const slice = dataset.samples.slice(part * PART_SIZE, (part + 1) * PART_SIZE);
      const items = encoder.modality === 'image' ? slice.map((s) => join(dataset.imagesDir!, s.imagePath!)) : slice.map((s) => s.caption);
      const onMessage = (m: unknown) => {
        doneIn.set(part, (m as ExtractPartProgress).encoded);
        report();
      };
      const r = await ctx.pool.run<ExtractPartInput, ExtractPartResult>('extractPart', { ...base, dir, part, items, variant, onEncoderError: policy }, { signal: ctx.signal, onMessage });
      if (!r.written) unwritten.push(...r.failures.map((f) => ({ ...f, row: part * PART_SIZE + f.index })));
      else for (const name of await publishPart(dir, part)) shared.add(name);
      doneIn.set(part, items.length);
      report();
    }),
  );
  // Parts written under 'skip' list their failures beside them, so a cached part tells too.
  const failed = [...unwritten, ...(await readSkipped(dir, Array.from({ length: partCount(count) }, (_, i) => i).filter((p) => !unwritten.some((u) => Math.floor(u.row / PART_SIZE) === p))))]
    .sort((a, b) => a.row - b.row)
    .map(({ row, item, error }): SkippedSample => ({ row, imageId: dataset.samples[row]?.imageId, line: dataset.samples[row]?.line, item: shownItem(encoder.modality, dataset.samples[row], item), error: withinFolder(error, dataset.imagesDir) }));
  if (failed.length && (policy === 'fail' || failed.length === count)) {
    throw errors.encoderFailed(spec.id, dataset.id, failed[0], failed[0].error, failed.length - 1);
  }
  const seconds = (performance.now() - started) / 1000;
  if (missing.length) {
    await writeMeta(dir, { encoderId: encoder.id, encoderVersion: encoder.version, contentHash: dataset.checksum, variant, dim: encoder.dim, count, preprocessing: encoder.preprocessing, createdAt: new Date().toISOString(), ...(failed.length ? { skipped: failed } : {}) });
  }
  // Parts cached here before the bucket was configured, or whose upload was cut short, and the meta.
  await publishUnshared(dir, missing.length ? new Set([...shared].filter((n) => n !== 'meta.json')) : shared);
  const record = {
    modality: encoder.modality,
    dim: encoder.dim,
    count,
    path: relative(ctx.storeRoot, dir),
    encoder: { ...encoder, source: spec, ...(failed.length ? { skipped: failed.map(({ row, imageId, line, error }) => ({ row, imageId, line, error })) } : {}) } as object,
    seconds,
  };
  await ctx.prisma.featureSet.upsert({
    where: { datasetId_encoderId_encoderVersion_variant: { datasetId: dataset.id, encoderId: encoder.id, encoderVersion: encoder.version, variant } },
    create: { datasetId: dataset.id, encoderId: encoder.id, encoderVersion: encoder.version, variant, ...record },
    update: missing.length ? record : {},
  });
  return { dir, dim: encoder.dim, count, encoder, cached: missing.length === 0, skipped: failed };
}

/** Loads what extraction needs about a dataset: samples in order and training captions. */
export async function loadDatasetForExtraction(prisma: PrismaClient, datasetId: string): Promise<DatasetForExtraction & { classIds: number[]; labels: number[][]; splits: string[] }> {
  const dataset = await prisma.dataset.findUniqueOrThrow({ where: { id: datasetId } });
  const samples = await prisma.sample.findMany({ where: { datasetId }, orderBy: { id: 'asc' }, select: { imageId: true, imagePath: true, caption: true, split: true, labels: true, line: true } });
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

/**
 * How an error names a failed sample's input: an image by its path within the dataset's images
 * folder (never the server's absolute path), a caption by at most its first 40 characters.
 */
function shownItem(modality: string, sample: { imagePath: string | null; caption: string } | undefined, item: string): string {
  if (modality === 'image') return sample?.imagePath ?? basename(item);
  return `caption "${echoField(sample?.caption ?? item)}"`;
}

/** An encoder's error with the images folder taken out of any path it names (`cannot read image 6.jpg: …`). */
function withinFolder(error: string, imagesDir: string | null): string {
  return imagesDir ? error.split(imagesDir.endsWith(sep) ? imagesDir : imagesDir + sep).join('') : error;
}
