/**
 * The paper's study as tagfusion experiments on the shared COMP5329 sample: the ablation
 * (Table 5), a learning-rate × batch-size × optimiser grid for the text and the vision heads
 * (Tables 2/3), and pseudo-labelling rounds that use captions.csv as unlabelled data. Every
 * experiment goes through the same service as the GraphQL mutations. Features are extracted
 * before the clock starts (the study is timed with features cached).
 * Prints each experiment's table and writes bench/results/paper.json.
 *
 *   BENCH_DATA_DIR=.tagfusion-bench npm run bench:paper [-- --epochs 20 --rounds 2]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Run } from '../src/db/generated/client.js';
import { projectRoot } from '../src/paths.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(projectRoot, '..', 'shared', 'datasets', 'comp5329-sample') },
    epochs: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    parallelism: { type: 'string', default: '2' },
    /** pseudo-labelling keeps a label only when its top probability reaches this */
    'min-confidence': { type: 'string', default: '0' },
    /** run only these parts: ablation, text, vision, pseudo (comma-separated) */
    only: { type: 'string', default: 'ablation,text,vision,pseudo' },
  },
});
const data = resolve(values.data!);
const threads = availableParallelism();
const app = await startApp(
  loadConfig({ ...process.env, TAGFUSION_DATA_DIR: process.env.BENCH_DATA_DIR ?? join(projectRoot, '.tagfusion-bench'), LOG_LEVEL: 'warn', TAGFUSION_WORKER_THREADS: String(threads) }),
  { workJobs: true },
);

async function waitJob(app: App, id: string) {
  const done = await app.services.jobs.waitFor(id);
  if (done.status !== 'SUCCEEDED') throw new Error(`job ${id} (${done.kind}) ${done.status}: ${done.error}`);
  return done;
}
const importOnce = async (name: string, csv: string, imagesDir?: string) =>
  ((await waitJob(app, (await app.services.datasets.importDataset({ name, csvPath: join(data, csv), imagesDir })).id)).result as { datasetId: string }).datasetId;

const train = await importOnce('comp5329-train', 'train.csv', join(data, 'images'));
const captions = await importOnce('comp5329-captions', 'captions.csv');
const encoders = { visionEncoder: { id: 'centernet-coco' }, textEncoder: { id: 'tfidf' } };
await waitJob(app, (await app.services.features.extractFeatures({ datasetId: train, encoder: encoders.visionEncoder })).id);

const base = { epochs: Number(values.epochs), learningRate: 3e-3, batchSize: 128, lossWeighting: 'recipe', earlyStopping: { metric: 'microF1', patience: 4 }, ...encoders };
const parallelism = Number(values.parallelism);
const studyStarted = performance.now();
const results: Record<string, unknown>[] = [];

/** Runs one experiment to its end and prints its table. */
async function experiment(label: string, start: () => Promise<Run>) {
  const started = performance.now();
  const run = await start();
  const job = (await app.services.jobs.list({ runId: run.id }, 1))[0];
  await app.services.jobs.waitFor(job.id);
  const finished = await app.services.runs.get(run.id);
  const seconds = (performance.now() - started) / 1000;
  const table = await app.services.experiments.table(finished, 'MARKDOWN');
  console.log(`\n## ${label}: ${finished.status} in ${seconds.toFixed(0)} s${finished.error ? ` (${finished.error})` : ''}\n\n${table}`);
  results.push({ label, runId: run.id, status: finished.status, seconds, summary: finished.summary, table: await app.services.experiments.table(finished, 'CSV') });
  return finished;
}

const grid = [
  { name: 'learningRate', values: [1e-3, 3e-3, 1e-2] },
  { name: 'batchSize', values: [64, 128, 256] },
  { name: 'optimizer', values: ['adam', 'adamw'] },
];
const parts = new Set(values.only!.split(','));
if (parts.has('ablation')) await experiment('Ablation (Table 5)', () => app.services.experiments.startAblation({ datasetId: train, name: 'paper: ablation', base, parallelism }));
if (parts.has('text')) await experiment('Text head: learning rate × batch × optimiser', () =>
  app.services.experiments.startSweep({ datasetId: train, name: 'paper: text grid', base: { ...base, head: 'text' }, space: grid, parallelism }),
);
if (parts.has('vision')) await experiment('Vision head: learning rate × batch × optimiser', () =>
  app.services.experiments.startSweep({ datasetId: train, name: 'paper: vision grid', base: { ...base, head: 'vision' }, space: grid, parallelism }),
);
const minConfidence = Number(values['min-confidence']);
const pseudo = parts.has('pseudo')
  ? await experiment(`Pseudo-labelling captions.csv (up to ${values.rounds} rounds, confidence ≥ ${minConfidence})`, () =>
      app.services.experiments.startPseudoLabeling({ datasetId: train, unlabelledDatasetId: captions, name: 'paper: pseudo-labelling', maxRounds: Number(values.rounds), minConfidence, base, parallelism }),
    )
  : null;
const studySeconds = (performance.now() - studyStarted) / 1000;
const outcome = (pseudo?.summary ?? {}) as { baseline?: number; best?: { value: number }; gain?: number; rounds?: { round: number; score: number; improved: boolean }[]; stoppedBecause?: string };

console.log(`\nwhole study (features cached): ${(studySeconds / 60).toFixed(1)} min on ${threads} threads`);
console.log(`pseudo-labelling: round 0 (labelled only) ${outcome.baseline?.toFixed(4)} → best ${outcome.best?.value.toFixed(4)} (${(outcome.gain ?? 0) >= 0 ? '+' : ''}${outcome.gain?.toFixed(4)}); ${outcome.stoppedBecause}`);
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
writeFileSync(join(projectRoot, 'bench', 'results', `paper${parts.size < 4 ? `-${[...parts].join('-')}` : ''}.json`), JSON.stringify({ threads, epochs: Number(values.epochs), studySeconds, parts: [...parts], minConfidence, pseudoLabelling: outcome, experiments: results }, null, 2));
await app.close();
