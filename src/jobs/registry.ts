import { importDatasetJob } from '../datasets/import-job.js';
import type { AnyJobDefinition } from './types.js';

/** Every job kind the workers know. A new kind is one module, listed here. */
export const jobDefinitions: Map<string, AnyJobDefinition> = new Map(
  [importDatasetJob as AnyJobDefinition].map((d) => [d.kind, d]),
);
