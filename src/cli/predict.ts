import { startCliApp } from './direct-app.js';
import { copyFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig } from '../config.js';
import type { Split } from '../db/generated/enums.js';
import { errors } from '../errors.js';
import { cliActor } from '../registry/actor.js';
import { succeeded, waitWithProgress } from './wait.js';
import type { Job } from '../db/generated/client.js';
import { resolveRefs } from '../refs/input.js';
import { remotePredict } from './remote/predict.js';
import { remoteApi } from './remote/target.js';

export interface PredictFlags {
  model: string;
  dataset: string;
  split?: string;
  out: string;
  json?: boolean;
}

const SPLITS: Record<string, Split> = { train: 'TRAIN', val: 'VAL', unlabelled: 'UNLABELLED' };

/**
 * `tagfusion predict`: the predictDataset job, worked in this process with a progress bar, then
 * the submission file copied to `--out`.
 */
export async function predictCommand(o: PredictFlags) {
  const split = o.split === undefined ? undefined : SPLITS[o.split.toLowerCase()];
  if (o.split !== undefined && !split) throw errors.badInput(`--split must be one of ${Object.keys(SPLITS).join(', ')}`, { field: 'split' });
  const out = resolve(o.out);
  const api = remoteApi();
  if (api) return remotePredict(api, o, split, out);
  const app = await startCliApp(loadConfig(), { workJobs: true });
  try {
    const set = await app.services.predictions.predictDataset(await resolveRefs(app.services, { model: o.model, datasetId: o.dataset, split }), cliActor());
    const done = await waitWithProgress(app, set.jobId!, Boolean(o.json));
    if (done.status === 'SUCCEEDED') await copyFile((await app.services.predictions.submissionFile(set.id)).path, out);
    printPredictResult(o, set.id, done, out);
  } finally {
    await app.close();
  }
}

/** Prints a prediction's outcome as JSON (--json) or text, and sets the exit code when it did not succeed. */
export function printPredictResult(o: PredictFlags, predictionSetId: string, done: Pick<Job, 'status' | 'error' | 'message'> & { result: unknown }, out: string) {
  const result = (done.result ?? {}) as { model?: string; count?: number; metrics?: Record<string, number> | null; predictSeconds?: number };
  const summary = { predictionSetId, status: done.status, model: result.model, count: result.count, out: done.status === 'SUCCEEDED' ? out : undefined, metrics: result.metrics ?? undefined, error: done.error ?? undefined };
  if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  else if (succeeded(done, 'prediction')) {
    const m = result.metrics;
    const score = m ? `  micro-F1 ${m.microF1.toFixed(4)}  samples-F1 ${m.samplesF1.toFixed(4)}` : '';
    process.stdout.write(`${result.count} predictions by ${result.model} written to ${out}${score}\n`);
  }
  if (done.status !== 'SUCCEEDED') process.exitCode = 2;
}
