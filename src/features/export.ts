import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runIdOf } from '../artifacts/paths.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import type { Modality } from '../ml/encoders/types.js';
import { runModelFile } from '../prediction/repository.js';
import { FileProblem, verifiedBytes } from '../prediction/stored-file.js';
import type { ModelArtifact } from '../training/artifact.js';
import * as repo from './export-repository.js';
import { partDamage, partValues } from './part-file.js';
import { artifactRoot, featureStoreRoot } from './paths.js';
import { fetchFeatureSet } from './shared-store.js';
import { existingParts, partCount, partFileNames, PART_SIZE } from './store.js';

/**
 * What precedes the matrix of an export: one line of JSON. The matrix follows it: `count` rows of
 * `dim` float32 values, little-endian, row-major, row i being the sample at position i of `rows`.
 */
export interface FeatureExportHeader {
  format: 'tagfusion-features/1';
  datasetId: string;
  /** the run whose encoder made the features (a model card's encoderRunId), as a UUID */
  encoderRunId: string;
  modality: Modality;
  encoder: { id: string; version: string };
  dim: number;
  count: number;
  dtype: 'float32';
  byteOrder: 'little';
  /** the dataset's label ids in the order of their index (a model's output order) */
  classIds: number[];
  /** the samples in dataset order (import order), one entry per matrix row in each array */
  rows: { imageId: string[]; split: string[]; labels: number[][] };
  /** rows the encoder could not encode, whose vectors are zero (extracted with onEncoderError SKIP) */
  skippedRows: number[];
}

export interface FeatureExport {
  header: FeatureExportHeader;
  /** the matrix, one cached part (PART_SIZE rows) at a time; a part found damaged throws */
  matrix(): AsyncGenerator<Buffer>;
}

/** What a caller asks for: the dataset, the run whose encoder to use, and which of its encoders. */
export interface FeatureExportRequest {
  datasetId: string;
  encoderRun: unknown;
  modality?: unknown;
}

/**
 * Exports the features a tagfusion run's encoder made of a dataset, so that training code outside
 * tagfusion can fit a head on exactly the features that serving will feed it (a model card names
 * the same run as `encoderRunId`). Only features already cached are exported: extraction is a job
 * (training on the dataset with that encoder, or predictDataset of a model that reads them), and a
 * GET that silently started one could take minutes. The encoder is pinned to the version the run
 * trained with, so a fitted encoder (tfidf) is the run's own vocabulary.
 */
export class FeatureExportService {
  constructor(
    private readonly db: Database,
    private readonly config: Config,
  ) {}

  async open(request: FeatureExportRequest): Promise<FeatureExport> {
    const prisma = this.db.prisma;
    const modality = modalityOf(request.modality);
    const runId = runIdOf(request.encoderRun, 'encoderRun');
    const dataset = await repo.findDataset(prisma, request.datasetId);
    if (!dataset) throw errors.datasetNotFound(request.datasetId);
    if (!(await repo.runExists(prisma, runId))) throw errors.runNotFound(runId);
    const unavailable = (reason: string) => errors.featuresUnavailable(dataset.id, runId, reason);

    const used = await this.runEncoder(runId, modality, unavailable);
    const set = await repo.findFeatureSet(prisma, dataset.id, used.encoder.id, used.encoder.version);
    const named = `${used.encoder.id} features (encoder version ${used.encoder.version.slice(0, 12)})`;
    if (!set) throw unavailable(`its ${named} of this dataset were never extracted; training on this dataset with that encoder, or predictDataset with a model reading them, extracts them`);
    const dir = join(featureStoreRoot(this.config), set.path);
    await fetchFeatureSet(dir);
    // Checked before the first byte: a damaged part found mid-stream could only cut the answer short.
    if ((await existingParts(dir)).size < partCount(set.count)) throw unavailable(`parts of its cached ${named} are missing or damaged; the next extraction on this dataset writes them again`);

    const samples = await repo.sampleRows(prisma, dataset.id);
    if (samples.length !== set.count) throw new Error(`feature set of ${set.count} rows for a dataset of ${samples.length} samples`);
    const skipped = (set.encoder as { skipped?: { row: number }[] }).skipped ?? [];
    const header: FeatureExportHeader = {
      format: 'tagfusion-features/1',
      datasetId: dataset.id,
      encoderRunId: runId,
      modality: used.modality,
      encoder: used.encoder,
      dim: set.dim,
      count: set.count,
      dtype: 'float32',
      byteOrder: 'little',
      classIds: await repo.classIds(prisma, dataset.id),
      rows: { imageId: samples.map((s) => s.imageId), split: samples.map((s) => s.split), labels: samples.map((s) => s.labels) },
      skippedRows: skipped.map((s) => s.row),
    };
    return { header, matrix: () => readParts(dir, set.count, set.dim) };
  }

  /** The encoder the run trained on, by modality (either, when it used one), from its verified model file. */
  private async runEncoder(runId: string, modality: Modality | undefined, unavailable: (reason: string) => Error) {
    const file = await runModelFile(this.db.prisma, runId);
    if (!file) throw errors.badInput(`run ${runId} has no tagfusion model, so no encoder to export features of; name a finished training run of a head on encoder features`, { field: 'encoderRun' });
    let bytes: Buffer;
    try {
      bytes = await verifiedBytes(artifactRoot(this.config), file, 'model file');
    } catch (err) {
      if (err instanceof FileProblem) throw unavailable(err.message);
      throw err;
    }
    const doc = JSON.parse(bytes.toString('utf8')) as Partial<ModelArtifact> & { format?: string };
    const encoders = doc.format === 'tagfusion-model/1' && doc.encoders ? (['text', 'image'] as const).filter((m) => doc.encoders![m]) : [];
    if (!encoders.length) throw errors.badInput(`run ${runId} trained no head on encoder features (a fusion of runs or a fine-tuned BERT); name a run of one head`, { field: 'encoderRun' });
    const chosen = modality ?? (encoders.length === 1 ? encoders[0] : undefined);
    if (!chosen) throw errors.badInput(`run ${runId} used a text and an image encoder; name one with modality=text or modality=image`, { field: 'modality' });
    const info = doc.encoders![chosen]?.info;
    if (!info) throw errors.badInput(`run ${runId} used no ${chosen} encoder (it used ${encoders.map((m) => `${m}: ${doc.encoders![m]!.info.id}`).join(', ')})`, { field: 'modality' });
    return { modality: chosen, encoder: { id: info.id, version: info.version } };
  }
}

function modalityOf(raw: unknown): Modality | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'text' || raw === 'image') return raw;
  throw errors.badInput('modality must be text or image', { field: 'modality' });
}

/** The set's parts in order, each checked against its checksum and shape as it is read. */
async function* readParts(dir: string, count: number, dim: number): AsyncGenerator<Buffer> {
  for (let part = 0; part < partCount(count); part++) {
    const bytes = await readFile(join(dir, partFileNames(part)[1]));
    const damage = partDamage(bytes, { rows: Math.min(PART_SIZE, count - part * PART_SIZE), dim });
    if (damage) throw new Error(`part ${part} of the exported feature set is damaged: ${damage}`);
    const values = partValues(bytes);
    yield Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  }
}
