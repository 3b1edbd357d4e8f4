// Prisma rows that GraphQL types are resolved from (codegen's `mappers`).
export type { Dataset as DatasetModel, Run as RunModel, Job as JobModel } from '../db/generated/client.js';
/** An experiment's best run so far, as src/experiments/tree.ts computes it. */
export interface ExperimentBestModel {
  runId: string;
  value: number;
}
