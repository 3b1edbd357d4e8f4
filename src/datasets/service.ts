import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Dataset, Job } from '../db/generated/client.js';
import type { Split } from '../db/generated/enums.js';
import { errors } from '../errors.js';
import type { JobService } from '../jobs/service.js';
import { parseImportInput, type ImportPayload } from './import-input.js';
import { importDatasetJob } from './import-job.js';
import { confinedPath, importRoots } from './paths.js';
import * as repo from './repository.js';
import { findDatasetRef, resolveDatasetRef } from '../refs/dataset-ref.js';

/** Datasets: import (as a job), versions, classes, samples, rejected records. */
export class DatasetService {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobService,
    /** for the folders an import may read (TAGFUSION_DATA_ROOTS); the defaults when absent */
    private readonly config: Pick<Config, 'dataRoots' | 'dataDir'>,
  ) {}

  /**
   * Validates the input and the paths now (so that a typo fails at once, not in a job), then
   * queues the import job. Both paths must lie under a data root (src/datasets/paths.ts); the
   * job is given their real paths. The job's result names the dataset version.
   */
  async importDataset(rawInput: unknown): Promise<Job> {
    const input = parseImportInput(rawInput);
    const roots = importRoots(this.config);
    const csvPath = await confinedPath('CSV file', input.csvPath, 'file', roots);
    const imagesDir = input.imagesDir ? await confinedPath('Images folder', input.imagesDir, 'dir', roots) : null;
    const payload: ImportPayload = { ...input, csvPath, imagesDir, given: { csvPath: input.csvPath, imagesDir: input.imagesDir } };
    return this.jobs.enqueue(importDatasetJob.kind, payload);
  }

  async get(id: string): Promise<Dataset> {
    const dataset = await repo.findDataset(this.db.prisma, id);
    if (!dataset) throw errors.datasetNotFound(id);
    return dataset;
  }

  find = (id: string) => repo.findDataset(this.db.prisma, id);
  /** The id of a version typed as id, `name` (latest) or `name@version`; DATASET_NOT_FOUND with hints otherwise (src/refs). */
  resolveRef = (ref: string) => resolveDatasetRef(this.db.prisma, ref);
  /** As resolveRef, undefined when nothing matches. */
  findRef = (ref: string) => findDatasetRef(this.db.prisma, ref);
  sampleImagePath = (datasetId: string, imageId: string) => repo.findSampleImagePath(this.db.prisma, datasetId, imageId);
  list = (name?: string) => repo.listDatasets(this.db.prisma, name);
  classes = (datasetIds: readonly string[]) => repo.listClasses(this.db.prisma, datasetIds);
  rejections = (datasetId: string, first: number, offset: number) => repo.listRejections(this.db.prisma, datasetId, first, offset);
  rejectionCount = (datasetId: string) => repo.countRejections(this.db.prisma, datasetId);
  samples = (datasetId: string, split: Split | undefined, first: number, offset: number) => repo.listSamples(this.db.prisma, datasetId, split, first, offset);
  splitCounts = (datasetId: string) => repo.splitCounts(this.db.prisma, datasetId);
}
