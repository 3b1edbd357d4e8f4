/**
 * Prediction speed on the shared COMP5329 sample, per encoder set: the latency of one prediction
 * through GraphQL (HTTP) with a warm model, and the throughput of predictDataset (the job that
 * writes the submission file) from cached features and from raw images.
 *
 * Models are trained here on cached features (a few seconds each; features are extracted first if
 * the data folder lacks them) and registered as bench-<set>@bench through the registry. A finished
 * text-finetune run on the dataset, if the folder has one, adds rows with the fine-tuned BERT.
 * "Raw" throughput predicts a dataset made of the validation records (ImageID,Caption, written
 * to a temporary folder, images read from the sample) whose cached features are deleted first.
 * Prints a table and writes bench/results/predict.json.
 *
 *   BENCH_DATA_DIR=/tmp/tf1 npm run bench:predict [-- --requests 100 --epochs 15]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { featureStoreRoot } from '../src/features/paths.js';
import { projectRoot } from '../src/paths.js';
import { cliActor } from '../src/registry/actor.js';
import { startHttpServer } from '../src/server/http.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(projectRoot, '..', 'shared', 'datasets', 'comp5329-sample') },
    requests: { type: 'string', default: '100' },
    epochs: { type: 'string', default: '15' },
    /** skip the raw-image rows (they extract 500 images per model that reads images) */
    'no-raw': { type: 'boolean', default: false },
  },
});
const data = resolve(values.data!);
const requests = Number(values.requests);
const app = await startApp(
  loadConfig({ ...process.env, TAGFUSION_DATA_DIR: process.env.BENCH_DATA_DIR ?? join(projectRoot, '.tagfusion-bench'), LOG_LEVEL: 'warn', TAGFUSION_WORKER_THREADS: String(availableParallelism()), TAGFUSION_AUTH: 'open' }),
  { workJobs: true },
);
const http = await startHttpServer(app, 0, '127.0.0.1');
const actor = cliActor();

async function waitJob(app: App, id: string) {
  const done = await app.services.jobs.waitFor(id);
  if (done.status !== 'SUCCEEDED') throw new Error(`job ${id} ${done.status}: ${done.error}`);
  return done;
}

async function importOnce(name: string, csv: string, imagesDir?: string): Promise<string> {
  const job = await app.services.datasets.importDataset({ name, csvPath: csv, imagesDir });
  return ((await waitJob(app, job.id)).result as { datasetId: string }).datasetId;
}

const train = await importOnce('comp5329-train', join(data, 'train.csv'), join(data, 'images'));
const captions = await importOnce('comp5329-captions', join(data, 'captions.csv'));
const common = { datasetId: train, epochs: Number(values.epochs), learningRate: 3e-3, batchSize: 128, lossWeighting: 'recipe', earlyStopping: { metric: 'microF1', patience: 4 } };

async function trainRun(input: Record<string, unknown>): Promise<string> {
  const run = await app.services.training.startTraining({ ...common, name: `bench:predict ${input.head}`, ...input });
  await waitJob(app, (await app.services.jobs.list({ runId: run.id }, 1))[0].id);
  return run.id;
}

/** Registers a run as the next version of `model` and points its `bench` alias at it. */
async function register(model: string, runId: string): Promise<string> {
  const { version } = await app.services.registry.registerVersion(actor, { runId, model });
  await app.services.registry.moveAlias(actor, { model, alias: 'bench', version: version.version });
  return `${model}@bench`;
}

console.log('training the bench models on cached features…');
const runs = {
  text: await trainRun({ head: 'text', extraTrainDatasetIds: [captions] }),
  vision: await trainRun({ head: 'vision' }),
  fcnn: await trainRun({ head: 'fcnn' }),
};
const finetuned = await app.db.prisma.run.findFirst({
  where: { datasetId: train, kind: 'train', status: 'SUCCEEDED', params: { some: { key: 'head', valueText: 'text-finetune' } } },
  orderBy: { createdAt: 'desc' },
});
const models: { set: string; reads: string; ref: string }[] = [
  { set: 'tfidf', reads: 'caption', ref: await register('bench-text', runs.text) },
  { set: 'centernet-coco', reads: 'image', ref: await register('bench-vision', runs.vision) },
  { set: 'tfidf + centernet-coco (FM2: vision, text, FCNN)', reads: 'caption + image', ref: await register('bench-fm2', await trainRun({ head: 'fm2', componentRunIds: [runs.vision, runs.text, runs.fcnn] })) },
];
if (finetuned) {
  models.push({ set: 'BERT fine-tuned', reads: 'caption', ref: await register('bench-bert', finetuned.id) });
  models.push({
    set: 'BERT fine-tuned + centernet-coco (FM2: vision, BERT, FCNN)',
    reads: 'caption + image',
    ref: await register('bench-fm2-bert', await trainRun({ head: 'fm2', componentRunIds: [runs.vision, finetuned.id, runs.fcnn] })),
  });
}

const samples = await app.db.prisma.sample.findMany({ where: { datasetId: train, split: 'VAL' }, orderBy: { id: 'asc' } });
const imagesDir = join(data, 'images');
const QUERY = `query($model: String!, $inputs: [PredictionInput!]!) { predict(model: $model, inputs: $inputs) { model { version } predictions { labels probabilities { probability } } } }`;

async function predictOnce(ref: string, reads: string, i: number): Promise<number> {
  const s = samples[i % samples.length];
  const input = { ...(reads.includes('caption') ? { caption: s.caption } : {}), ...(reads.includes('image') ? { image: { path: join(imagesDir, s.imagePath!) } } : {}) };
  const started = performance.now();
  const res = await fetch(http.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, variables: { model: ref, inputs: [input] } }) });
  const body = (await res.json()) as { errors?: unknown[] };
  const ms = performance.now() - started;
  if (body.errors) throw new Error(`${ref}: ${JSON.stringify(body.errors)}`);
  return ms;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

async function predictDataset(ref: string, datasetId: string, split?: 'VAL') {
  const started = performance.now();
  const set = await app.services.predictions.predictDataset({ model: ref, datasetId, split }, actor);
  const done = await waitJob(app, set.jobId!);
  const seconds = (performance.now() - started) / 1000;
  const r = done.result as { count: number; predictSeconds: number; workerSeconds: number; metrics?: { microF1: number; samplesF1: number } | null };
  return { samples: r.count, seconds, perSecond: r.count / seconds, predictSeconds: r.predictSeconds, workerSeconds: r.workerSeconds, microF1: r.metrics?.microF1 };
}

// The validation records as a new, unlabelled dataset: its features are not cached.
// under the data folder: a server's imports read only there and under TAGFUSION_DATA_ROOTS
const rawDir = mkdtempSync(join(app.config.dataDir, 'bench-predict-'));
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
writeFileSync(join(rawDir, 'val.csv'), ['ImageID,Caption', ...samples.map((s) => `${s.imageId},${quote(s.caption)}`)].join('\n') + '\n');
const rawDataset = await importOnce('comp5329-val-unlabelled', join(rawDir, 'val.csv'), imagesDir);
rmSync(rawDir, { recursive: true, force: true });

async function uncache(datasetId: string) {
  for (const set of await app.db.prisma.featureSet.findMany({ where: { datasetId } })) {
    rmSync(join(featureStoreRoot(app.config), set.path), { recursive: true, force: true });
    await app.db.prisma.featureSet.delete({ where: { id: set.id } });
  }
}

const rows: Record<string, unknown>[] = [];
for (const m of models) {
  console.log(`${m.ref}: ${requests} single predictions…`);
  for (let i = 0; i < 5; i++) await predictOnce(m.ref, m.reads, i); // loads the model and encoders
  const ms: number[] = [];
  for (let i = 0; i < requests; i++) ms.push(await predictOnce(m.ref, m.reads, i));
  const row: Record<string, unknown> = { set: m.set, reads: m.reads, model: m.ref, p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
  console.log(`${m.ref}: batch predictions…`);
  row.cachedVal = await predictDataset(m.ref, train, 'VAL');
  row.cachedAll = await predictDataset(m.ref, train);
  if (!values['no-raw']) {
    await uncache(rawDataset);
    row.raw = await predictDataset(m.ref, rawDataset);
  }
  rows.push(row);
  console.log(JSON.stringify(row));
}
await http.close();
await app.close();

const f = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : '-');
const rate = (x: unknown) => (x && typeof x === 'object' ? `${Math.round((x as { perSecond: number }).perSecond).toLocaleString('en')}` : '-');
console.log(`\nsingle prediction through GraphQL (warm model, ${requests} requests, one sample each); predictDataset end to end (queue → file → rows)`);
console.log('| encoder set | input | p50 (ms) | p95 (ms) | val split, cached (samples/s) | 5,000 samples, cached (samples/s) | val split, raw (samples/s) | val micro-F1 |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.set} | ${r.reads} | ${f(r.p50)} | ${f(r.p95)} | ${rate(r.cachedVal)} | ${rate(r.cachedAll)} | ${rate(r.raw)} | ${f((r.cachedVal as { microF1?: number }).microF1, 4)} |`);
}
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
writeFileSync(join(projectRoot, 'bench', 'results', 'predict.json'), JSON.stringify({ date: new Date().toISOString(), requests, threads: { jobs: availableParallelism(), predict: 1 }, rows }, null, 2));
process.exit(0);
