import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { encodePart, partDamage, partValues } from './part-file.js';

/**
 * The feature cache on disk. A feature set is the output of one encoder version on one dataset
 * content (its checksum) for one input variant (original, flipped images, a synonym round of
 * the captions). It is written in parts of PART_SIZE samples, each written to a temporary file
 * and renamed, so an interrupted extraction resumes from the parts already there. Each part carries
 * the checksum of its values (part-file.ts): a truncated or damaged part counts as missing, and
 * the next extraction writes it again. Messages name the encoder, variant and dataset content,
 * never the folder: they reach users, and the folder is the server's.
 */
export const PART_SIZE = 256;

export interface FeatureSetKey {
  encoderId: string;
  encoderVersion: string;
  /** the dataset's content checksum */
  contentHash: string;
  /** 'original', 'flip', or 'syn1', 'syn2', … */
  variant: string;
}

export interface FeatureSetMeta extends FeatureSetKey {
  dim: number;
  count: number;
  preprocessing: Record<string, unknown>;
  createdAt: string;
  /** samples the encoder could not encode (zero features), with onEncoderError 'skip' */
  skipped?: { row: number; item: string; error: string }[];
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

export function featureSetDir(root: string, k: FeatureSetKey): string {
  return join(root, safe(k.encoderId), safe(k.encoderVersion), safe(k.contentHash), safe(k.variant));
}

/** The set a folder holds, as messages name it: encoder, version, variant and dataset content (featureSetDir's layout). */
export function describeSet(dir: string): string {
  const [encoderId, version, contentHash, variant] = dir.split(sep).slice(-4);
  return `the ${encoderId} features (encoder version ${version.slice(0, 12)}, variant ${variant}) of dataset content ${contentHash.slice(0, 12)}`;
}

/** A file-system error as users may read it: what failed, on which set, and the error's code (Node's message holds the path). */
const storeFailure = (what: string, dir: string, err: unknown) =>
  new Error(`${what} of ${describeSet(dir)} failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });

const partName = (part: number) => `part-${String(part).padStart(5, '0')}.f32`;
const skippedName = (part: number) => `part-${String(part).padStart(5, '0')}.skipped.json`;

/** A part's files in the order they are shared: the skipped list (when there is one), then the part. */
export const partFileNames = (part: number) => [skippedName(part), partName(part)];

/** The complete files of a set's folder (parts, skipped lists, meta.json): temporary files left out. */
export async function completeFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => /^part-\d{5}\.(f32|skipped\.json)$/.test(n) || n === 'meta.json').sort();
}

/** An item of a part the encoder threw on (its vector is zero): position within the part, input, error. */
export interface SkippedItem {
  index: number;
  item: string;
  error: string;
}

/** The skipped items of the given complete parts, by row of the whole set. */
export async function readSkipped(dir: string, parts: Iterable<number>): Promise<(SkippedItem & { row: number })[]> {
  const out: (SkippedItem & { row: number })[] = [];
  for (const part of parts) {
    const text = await readFile(join(dir, skippedName(part)), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw storeFailure(`reading the skipped items of part ${part}`, dir, err);
    });
    if (text) for (const s of JSON.parse(text) as SkippedItem[]) out.push({ ...s, row: part * PART_SIZE + s.index });
  }
  return out.sort((a, b) => a.row - b.row);
}

export const partCount = (count: number) => Math.ceil(count / PART_SIZE);

/**
 * Parts already written and intact: temporary files are ignored, and a part that is truncated or
 * does not match its checksum is left out, so that it is extracted again (the new part replaces
 * it by rename; removing it here could remove a good part another process renamed meanwhile).
 */
export async function existingParts(dir: string): Promise<Set<number>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const intact = new Set<number>();
  for (const n of names.filter((name) => /^part-\d{5}\.f32$/.test(name))) {
    const bytes = await readFile(join(dir, n)).catch(() => undefined);
    if (bytes && !partDamage(bytes)) intact.add(Number(n.slice(5, 10)));
  }
  return intact;
}

/**
 * Writes a part. `skipped` lists the items the encoder could not encode (their vectors are zero);
 * it is written as part-NNNNN.skipped.json before the part itself, so a complete part always
 * has its list beside it.
 */
export async function writePart(dir: string, part: number, vectors: Float32Array[], dim: number, skipped?: SkippedItem[]): Promise<void> {
  const data = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    if (v.length !== dim) throw new Error(`feature of length ${v.length}, expected ${dim}`);
    data.set(v, i * dim);
  });
  const tmp = join(dir, `${partName(part)}.${process.pid}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    if (skipped?.length) {
      const skipTmp = join(dir, `${skippedName(part)}.${process.pid}.tmp`);
      await writeFile(skipTmp, JSON.stringify(skipped));
      await rename(skipTmp, join(dir, skippedName(part)));
    } else {
      await rm(join(dir, skippedName(part)), { force: true });
    }
    await writeFile(tmp, encodePart(data, vectors.length, dim));
    await rename(tmp, join(dir, partName(part)));
  } catch (err) {
    throw storeFailure(`writing part ${part}`, dir, err);
  }
}

/**
 * The whole set as one row-major matrix [count × dim], every part checked against its checksum.
 * A missing or damaged part fails the read; the next extraction of the set (the job's retry, or
 * the next run) finds it missing and writes it again.
 */
export async function readFeatureSet(dir: string, count: number, dim: number): Promise<Float32Array> {
  const out = new Float32Array(count * dim);
  for (let part = 0; part < partCount(count); part++) {
    const bytes = await readFile(join(dir, partName(part))).catch((err: unknown) => {
      throw storeFailure(`reading part ${part}`, dir, err);
    });
    const damage = partDamage(bytes, { rows: Math.min(PART_SIZE, count - part * PART_SIZE), dim });
    if (damage) throw new Error(`part ${part} of ${describeSet(dir)} is damaged: ${damage}; it is extracted again on the next run`);
    out.set(partValues(bytes), part * PART_SIZE * dim);
  }
  return out;
}

export async function writeMeta(dir: string, meta: FeatureSetMeta): Promise<void> {
  await writeFile(join(dir, 'meta.json'), JSON.stringify(meta, null, 2)).catch((err: unknown) => {
    throw storeFailure('writing the description', dir, err);
  });
}

export async function readMeta(dir: string): Promise<FeatureSetMeta | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as FeatureSetMeta;
  } catch {
    return undefined;
  }
}
