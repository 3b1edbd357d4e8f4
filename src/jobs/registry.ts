import { importDatasetJob } from '../datasets/import-job.js';
import { extractFeaturesJob } from '../features/job.js';
import { trainJob } from '../training/job.js';
import { experimentJob } from '../experiments/job.js';
import { webhookDeliveryJob } from '../webhooks/delivery-job.js';
import { predictDatasetJob } from '../prediction/job.js';
import type { AnyJobDefinition } from './types.js';

const all: AnyJobDefinition[] = [importDatasetJob, extractFeaturesJob, trainJob, experimentJob, webhookDeliveryJob, predictDatasetJob] as AnyJobDefinition[];

/** Every job kind the workers know. A new kind is one module, listed here. */
export const jobDefinitions: Map<string, AnyJobDefinition> = new Map(all.map((d) => [d.kind, d]));
