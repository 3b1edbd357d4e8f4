import { startCliApp } from './direct-app.js';
import { loadConfig } from '../config.js';
import { placementOf } from './project-flag.js';
import { succeeded, waitWithProgress } from './wait.js';
import type { Job } from '../db/generated/client.js';
import { resolveRefs } from '../refs/input.js';
import { remoteExtract, remoteTrain } from './remote/train.js';
import { remoteApi } from './remote/target.js';

export interface EncoderFlags {
  visionEncoder?: string;
  visionEncoderPath?: string;
  visionEncoderHub?: string;
  textEncoder?: string;
  textEncoderPath?: string;
  textEncoderHub?: string;
}

const spec = (id?: string, path?: string, hubId?: string) => (id ? { id, path, hubId } : undefined);

export interface TrainFlags extends EncoderFlags {
  dataset: string;
  head: string;
  name?: string;
  extraTrain?: string[];
  components?: string[];
  lr?: number;
  batchSize?: number;
  epochs?: number;
  optimizer?: string;
  weightDecay?: number;
  seed?: number;
  lossWeighting?: string;
  hiddenUnits?: number;
  dropout?: number;
  thresholds?: string;
  patience?: number;
  stopMetric?: string;
  flip?: boolean;
  synonyms?: number;
  project?: string;
  json?: boolean;
}

/** The startTraining input the flags describe (names as typed: resolveRefs makes them ids). */
export function trainingInput(o: TrainFlags) {
  return {
    datasetId: o.dataset,
    head: o.head,
    name: o.name,
    extraTrainDatasetIds: o.extraTrain,
    componentRunIds: o.components,
    visionEncoder: spec(o.visionEncoder, o.visionEncoderPath, o.visionEncoderHub),
    textEncoder: spec(o.textEncoder, o.textEncoderPath, o.textEncoderHub),
    learningRate: o.lr,
    batchSize: o.batchSize,
    epochs: o.epochs,
    optimizer: o.optimizer,
    weightDecay: o.weightDecay,
    seed: o.seed,
    lossWeighting: o.lossWeighting,
    hiddenUnits: o.hiddenUnits,
    dropout: o.dropout,
    thresholds: o.thresholds,
    earlyStopping: o.patience ? { patience: o.patience, metric: o.stopMetric ?? 'microF1' } : undefined,
    augmentation: { flip: Boolean(o.flip), synonymRounds: o.synonyms ?? 0 },
  };
}

/** `tagfusion train`: the startTraining service, worked in this process, then the run's result. */
export async function trainCommand(o: TrainFlags) {
  const api = remoteApi();
  if (api) return remoteTrain(api, o);
  const app = await startCliApp(loadConfig(), { workJobs: true });
  try {
    const run = await app.services.training.startTraining(await resolveRefs(app.services, trainingInput(o)), await placementOf(app, o.project));
    const job = (await app.services.jobs.list({ runId: run.id }, 1))[0];
    const done = await waitWithProgress(app, job.id, Boolean(o.json));
    const finished = await app.services.runs.get(run.id);
    printTrainResult(done, finished, Boolean(o.json));
  } finally {
    await app.close();
  }
}

/** The fields of a finished run that `train` prints (a Prisma row here, GraphQL's Run through a server). */
export interface TrainedRun {
  id: string;
  status: string;
  backend: string | null;
  error: string | null;
  summary: unknown;
}

/** Prints a training's outcome as JSON (--json) or text, and sets the exit code when it did not succeed. */
export function printTrainResult(done: Pick<Job, 'status' | 'error' | 'message'>, finished: TrainedRun, json: boolean) {
  const summary = (finished.summary ?? {}) as { val?: Record<string, number>; bestEpoch?: number; parameters?: number; seconds?: number; artifactBytes?: number };
  const out = { runId: finished.id, status: finished.status, backend: finished.backend, val: summary.val, bestEpoch: summary.bestEpoch, parameters: summary.parameters, artifactBytes: summary.artifactBytes, seconds: summary.seconds, error: finished.error ?? undefined };
  if (json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else if (succeeded(done, 'training')) {
    const v = summary.val ?? {};
    const f = (x?: number) => (x === undefined ? '-' : x.toFixed(4));
    process.stdout.write(
      `run ${finished.id}  ${finished.status}  on ${finished.backend}\n` +
        `val  micro-F1 ${f(v.microF1)}  macro-F1 ${f(v.macroF1)}  samples-F1 ${f(v.samplesF1)}  loss ${f(v.loss)}\n` +
        `best epoch ${summary.bestEpoch}  parameters ${summary.parameters}  artifact ${summary.artifactBytes} bytes  ${summary.seconds?.toFixed(1)} s\n`,
    );
  }
  if (done.status !== 'SUCCEEDED') process.exitCode = 2;
}

export interface ExtractFlags extends EncoderFlags {
  dataset: string;
  encoder: string;
  path?: string;
  hub?: string;
  flip?: boolean;
  synonyms?: number;
  json?: boolean;
}

/** `tagfusion extract`: computes (or finds cached) features of a dataset for one encoder. */
export async function extractCommand(o: ExtractFlags) {
  const api = remoteApi();
  if (api) return remoteExtract(api, o);
  const app = await startCliApp(loadConfig(), { workJobs: true });
  try {
    const job = await app.services.features.extractFeatures(await resolveRefs(app.services, extractInput(o)));
    printExtractResult(o, job.id, await waitWithProgress(app, job.id, Boolean(o.json)));
  } finally {
    await app.close();
  }
}

/** The extractFeatures input the flags describe (the dataset as typed: resolveRefs makes it an id). */
export const extractInput = (o: ExtractFlags) => ({ datasetId: o.dataset, encoder: { id: o.encoder, path: o.path, hubId: o.hub }, flip: o.flip, synonymRounds: o.synonyms });

/** Prints an extraction's feature sets as JSON (--json) or text, and sets the exit code when it did not succeed. */
export function printExtractResult(o: ExtractFlags, jobId: string, done: Pick<Job, 'status' | 'error' | 'message'> & { result: unknown }) {
  if (o.json) process.stdout.write(JSON.stringify({ jobId, status: done.status, error: done.error ?? undefined, ...(done.result as object) }, null, 2) + '\n');
  else if (succeeded(done, 'extraction')) {
    const sets = (done.result as { featureSets: { variant: string; dim: number; count: number; cached: boolean; encoderVersion: string }[] }).featureSets;
    for (const s of sets) process.stdout.write(`${o.encoder} ${s.encoderVersion} ${s.variant}: ${s.count} × ${s.dim}${s.cached ? ' (cached)' : ''}\n`);
  }
  if (done.status !== 'SUCCEEDED') process.exitCode = 2;
}
