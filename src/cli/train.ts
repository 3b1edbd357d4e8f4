import { startCliApp } from './direct-app.js';
import { loadConfig } from '../config.js';
import { placementOf } from './project-flag.js';
import { succeeded, waitWithProgress } from './wait.js';

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

/** `tagfusion train`: the startTraining service, worked in this process, then the run's result. */
export async function trainCommand(o: TrainFlags) {
  const app = await startCliApp(loadConfig(), { workJobs: true });
  try {
    const run = await app.services.training.startTraining(
      {
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
      },
      await placementOf(app, o.project),
    );
    const job = (await app.services.jobs.list({ runId: run.id }, 1))[0];
    const done = await waitWithProgress(app, job.id, Boolean(o.json));
    const finished = await app.services.runs.get(run.id);
    const summary = (finished.summary ?? {}) as { val?: Record<string, number>; bestEpoch?: number; parameters?: number; seconds?: number; artifactBytes?: number };
    const out = { runId: run.id, status: finished.status, backend: finished.backend, val: summary.val, bestEpoch: summary.bestEpoch, parameters: summary.parameters, artifactBytes: summary.artifactBytes, seconds: summary.seconds, error: finished.error ?? undefined };
    if (o.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    else if (succeeded(done, 'training')) {
      const v = summary.val ?? {};
      const f = (x?: number) => (x === undefined ? '-' : x.toFixed(4));
      process.stdout.write(
        `run ${run.id}  ${finished.status}  on ${finished.backend}\n` +
          `val  micro-F1 ${f(v.microF1)}  macro-F1 ${f(v.macroF1)}  samples-F1 ${f(v.samplesF1)}  loss ${f(v.loss)}\n` +
          `best epoch ${summary.bestEpoch}  parameters ${summary.parameters}  artifact ${summary.artifactBytes} bytes  ${summary.seconds?.toFixed(1)} s\n`,
      );
    }
    if (done.status !== 'SUCCEEDED') process.exitCode = 2;
  } finally {
    await app.close();
  }
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
  const app = await startCliApp(loadConfig(), { workJobs: true });
  try {
    const job = await app.services.features.extractFeatures({ datasetId: o.dataset, encoder: { id: o.encoder, path: o.path, hubId: o.hub }, flip: o.flip, synonymRounds: o.synonyms });
    const done = await waitWithProgress(app, job.id, Boolean(o.json));
    if (o.json) process.stdout.write(JSON.stringify({ jobId: job.id, status: done.status, error: done.error ?? undefined, ...(done.result as object) }, null, 2) + '\n');
    else if (succeeded(done, 'extraction')) {
      const sets = (done.result as { featureSets: { variant: string; dim: number; count: number; cached: boolean; encoderVersion: string }[] }).featureSets;
      for (const s of sets) process.stdout.write(`${o.encoder} ${s.encoderVersion} ${s.variant}: ${s.count} × ${s.dim}${s.cached ? ' (cached)' : ''}\n`);
    }
    if (done.status !== 'SUCCEEDED') process.exitCode = 2;
  } finally {
    await app.close();
  }
}
