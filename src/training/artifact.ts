import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errors } from '../errors.js';
import type { EncoderSpec } from '../ml/encoders/registry.js';
import type { EncoderInfo } from '../ml/encoders/types.js';
import type { TrainedModel } from '../ml/train.js';
import { mirrorFor } from '../storage/mirror.js';
import type { TrainingInput } from './input.js';

export const ARTIFACT_FORMAT = 'tagfusion-model/1';

/** A saved model: everything needed to rebuild it and to encode new inputs the same way. */
export interface ModelArtifact {
  format: typeof ARTIFACT_FORMAT;
  runId: string;
  datasetId: string;
  /** label ids in the order of the model's outputs */
  classIds: number[];
  encoders: { text?: { spec: EncoderSpec; info: EncoderInfo }; image?: { spec: EncoderSpec; info: EncoderInfo } };
  training: TrainingInput;
  /** weights as base64 little-endian float32, exact */
  model: Omit<TrainedModel, 'weights'> & { weights: Record<string, { shape: number[]; base64: string }> };
}

export function toArtifact(base: Omit<ModelArtifact, 'format' | 'model'>, model: TrainedModel): ModelArtifact {
  const weights = Object.fromEntries(
    Object.entries(model.weights).map(([k, w]) => [k, { shape: w.shape, base64: Buffer.from(new Float32Array(w.data).buffer).toString('base64') }]),
  );
  return { format: ARTIFACT_FORMAT, ...base, model: { ...model, weights } };
}

/** Weights back as Float32Arrays. */
export function artifactWeights(a: ModelArtifact): Record<string, { shape: number[]; data: Float32Array }> {
  return Object.fromEntries(
    Object.entries(a.model.weights).map(([k, w]) => {
      const bytes = Buffer.from(w.base64, 'base64');
      return [k, { shape: w.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) }];
    }),
  );
}

/** Writes model.json under root/runId atomically; returns its path relative to root, size and sha256. */
export const saveArtifact = (root: string, a: ModelArtifact) => saveJson(root, a.runId, a);

/** Write errors that mean the store cannot take the file (a full disk, a quota, a failing disk). */
const STORAGE_ERRORS: Record<string, string> = { ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EIO: 'an I/O error of the disk', EFBIG: 'the file is too large for the file system' };

/**
 * Writes any artifact document as root/runId/<file> (model.json by default), atomically: to a
 * temporary file, renamed once complete. A failed write removes the temporary file, so nothing
 * partial is ever left under the artifact's name; a full disk (or quota, or I/O error) is the
 * catalogue error ARTIFACT_WRITE_FAILED, naming the run and the size. With a bucket the file
 * is uploaded before this returns, so the row the caller writes next never points at nothing.
 */
export const saveJson = (root: string, runId: string, document: object, file = 'model.json') => saveText(root, runId, file, JSON.stringify(document));

/** Writes any text artifact as root/runId/<file>, as saveJson does (atomic, uploaded, errors named). */
export async function saveText(root: string, runId: string, file: string, text: string): Promise<{ uri: string; sizeBytes: number; checksum: string }> {
  const dir = join(root, runId);
  const bytes = Buffer.from(text);
  const tmp = join(dir, `${file}.${process.pid}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, bytes);
    await rename(tmp, join(dir, file));
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const what = file.replace(/\.(json|csv)$/, '');
    if (STORAGE_ERRORS[code]) throw errors.artifactWriteFailed(runId, what, bytes.byteLength, code, STORAGE_ERRORS[code]);
    throw err;
  }
  await mirrorFor(root).upload(join(dir, file));
  return { uri: `${runId}/${file}`, sizeBytes: bytes.byteLength, checksum: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The local path of an artifact file (`uri` relative to the artifact root), downloaded from the
 * bucket first when this machine's folder lacks it.
 */
export async function localArtifact(root: string, uri: string): Promise<string> {
  const path = join(root, uri);
  await mirrorFor(root).ensureLocal(path);
  return path;
}

/** Makes sure a whole artifact folder (a fine-tuned BERT) is local, downloading what is missing. */
export async function localArtifactFolder(dir: string): Promise<void> {
  await mirrorFor(dir).ensureLocalTree(dir);
}

/** Uploads an artifact folder a worker thread wrote (a fine-tuned BERT), before its model.json. */
export async function publishArtifactFolder(dir: string): Promise<void> {
  await mirrorFor(dir).uploadTree(dir);
}

export async function loadArtifact(path: string): Promise<ModelArtifact> {
  const a = JSON.parse(await readFile(path, 'utf8')) as ModelArtifact;
  if (a.format !== ARTIFACT_FORMAT) throw new Error(`${path} is not a ${ARTIFACT_FORMAT} artifact (format ${String(a.format)})`);
  return a;
}
