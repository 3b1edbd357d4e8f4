import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Database } from '../db/database.js';
import type { Dataset, Job } from '../db/generated/client.js';
import type { Split } from '../db/generated/enums.js';
import { errors } from '../errors.js';
import type { JobService } from '../jobs/service.js';
import { parseImportInput } from './import-input.js';
import { importDatasetJob } from './import-job.js';
import * as repo from './repository.js';

/** Datasets: import (as a job), versions, classes, samples, rejected records. */
export class DatasetService {
  constructor(
    private readonly db: Database,
    private readonly jobs: JobService,
  ) {}

  /**
   * Validates the input and the paths now (so that a typo fails at once, not in a job), then
   * queues the import job. The job's result names the dataset version.
   */
  async importDataset(rawInput: unknown): Promise<Job> {
    const input = parseImportInput(rawInput);
    const csv = await stat(input.csvPath).catch(() => undefined);
    if (!csv?.isFile()) throw errors.pathNotFound('CSV file', input.csvPath);
    if (input.imagesDir) {
      const dir = await stat(input.imagesDir).catch(() => undefined);
      if (!dir?.isDirectory()) throw errors.pathNotFound('Images folder', input.imagesDir);
    }
    const payload = { ...input, csvPath: resolve(input.csvPath), imagesDir: input.imagesDir ? resolve(input.imagesDir) : null };
    return this.jobs.enqueue(importDatasetJob.kind, payload);
  }

  async get(id: string): Promise<Dataset> {
    const dataset = await repo.findDataset(this.db.prisma, id);
    if (!dataset) throw errors.datasetNotFound(id);
    return dataset;
  }

  find = (id: string) => repo.findDataset(this.db.prisma, id);
  list = (name?: string) => repo.listDatasets(this.db.prisma, name);
  classes = (datasetIds: readonly string[]) => repo.listClasses(this.db.prisma, datasetIds);
  rejections = (datasetId: string, first: number, offset: number) => repo.listRejections(this.db.prisma, datasetId, first, offset);
  rejectionCount = (datasetId: string) => repo.countRejections(this.db.prisma, datasetId);
  samples = (datasetId: string, split: Split | undefined, first: number, offset: number) => repo.listSamples(this.db.prisma, datasetId, split, first, offset);
  splitCounts = (datasetId: string) => repo.splitCounts(this.db.prisma, datasetId);
}
