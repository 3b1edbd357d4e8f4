/**
 * The paper's ablation (Table 5) on the shared COMP5329 sample, trained through the same
 * service as startTraining and evaluated on train.csv's validation split: vision, text (and the
 * fine-tuned BERT), +FCNN and +cross-attention FCNN are trained; FM1, FM2 and FM3 average the
 * logits of those runs, as the paper does (its fusion trains nothing). Text-only models also
 * train on captions.csv. Past the paper (issue 17): centernet-coco with grid2 pooling (the
 * spatial variant), seed ensembles (runs of one configuration averaged), and stacks (a per-class
 * logistic regression on the runs' out-of-fold logits). Features are cached in the bench data
 * folder, so a second run pays only for training.
 * Prints a table and writes bench/results/accuracy.json.
 *
 *   BENCH_DATA_DIR=.tagfusion-bench npm run bench:accuracy [-- --epochs 20 --text-encoder tfidf --seeds 3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(projectRoot, '..', 'shared', 'datasets', 'comp5329-sample') },
    epochs: { type: 'string', default: '20' },
    'text-encoder': { type: 'string', default: 'tfidf' },
    'vision-encoder': { type: 'string', default: 'centernet-coco' },
    /** epochs of the BERT fine-tuning row; 0 leaves it out (it takes minutes per epoch) */
    'finetune-epochs': { type: 'string', default: '3' },
    /** runs per seed ensemble (1 leaves the ensembles out) */
    seeds: { type: 'string', default: '3' },
    /** leave out the rows past the paper (grid2 features, ensembles, stacks) */
    'paper-only': { type: 'boolean', default: false },
  },
});
const data = resolve(values.data!);
const app = await startApp(
  loadConfig({ ...process.env, TAGFUSION_DATA_DIR: process.env.BENCH_DATA_DIR ?? join(projectRoot, '.tagfusion-bench'), LOG_LEVEL: 'warn', TAGFUSION_WORKER_THREADS: String(availableParallelism()) }),
  { workJobs: true },
);

async function importOnce(app: App, name: string, csv: string, imagesDir?: string): Promise<string> {
  const job = await app.services.datasets.importDataset({ name, csvPath: join(data, csv), imagesDir });
  const done = await app.services.jobs.waitFor(job.id);
  if (done.status !== 'SUCCEEDED') throw new Error(`import of ${csv} ${done.status}: ${done.error}`);
  return (done.result as { datasetId: string }).datasetId;
}

const train = await importOnce(app, 'comp5329-train', 'train.csv', join(data, 'images'));
const captions = await importOnce(app, 'comp5329-captions', 'captions.csv');
const common = {
  datasetId: train,
  epochs: Number(values.epochs),
  learningRate: 3e-3,
  batchSize: 128,
  lossWeighting: 'recipe',
  earlyStopping: { metric: 'microF1', patience: 4 },
  visionEncoder: { id: values['vision-encoder']! },
  textEncoder: { id: values['text-encoder']! },
  augmentation: { flip: false, synonymRounds: 0 },
};
const rows: Record<string, unknown>[] = [];
const runIds: Record<string, string> = {};

async function runRow(label: string, input: Record<string, unknown>) {
  const run = await app.services.training.startTraining({ ...common, name: `ablation ${label}`, ...input });
  const job = (await app.services.jobs.list({ runId: run.id }, 1))[0];
  const done = await app.services.jobs.waitFor(job.id);
  const finished = await app.services.runs.get(run.id);
  if (done.status !== 'SUCCEEDED') {
    rows.push({ head: label, status: done.status, error: done.error });
    console.log(label, done.status, done.error);
    return;
  }
  runIds[label] = run.id;
  const s = finished.summary as { val: Record<string, number>; bestEpoch: number; parameters: number; seconds: number; trainSamples?: number };
  const trainF1 = (await app.db.prisma.epochMetric.findFirst({ where: { runId: run.id, name: 'microF1', split: 'train', epoch: s.bestEpoch } }))?.value;
  const row = { head: label, runId: run.id, valMicroF1: s.val.microF1, valMacroF1: s.val.macroF1, valSamplesF1: s.val.samplesF1, trainMicroF1: trainF1, valLoss: s.val.loss, seconds: s.seconds, parameters: s.parameters, bestEpoch: s.bestEpoch, trainSamples: s.trainSamples, backend: finished.backend };
  rows.push(row);
  console.log(JSON.stringify(row));
}

await runRow('vision', { head: 'vision' });
await runRow('text', { head: 'text', extraTrainDatasetIds: [captions] });
if (Number(values['finetune-epochs']) > 0) {
  await runRow('text-finetune', { head: 'text-finetune', textEncoder: { id: 'bert' }, extraTrainDatasetIds: [captions], epochs: Number(values['finetune-epochs']), learningRate: 1e-3, batchSize: 64, earlyStopping: null });
}
await runRow('fcnn', { head: 'fcnn' });
await runRow('xattn', { head: 'xattn', dropout: 0.3, optimizer: 'adamw', weightDecay: 0.05 });
// The best text run stands for "text" in the fusions.
const textRows = rows.filter((r) => (r.head === 'text' || r.head === 'text-finetune') && typeof r.valMicroF1 === 'number');
const bestText = textRows.sort((a, b) => (b.valMicroF1 as number) - (a.valMicroF1 as number))[0]?.head as string;
const fuse = (label: string, head: string, parts: string[]) =>
  parts.every((p) => runIds[p]) ? runRow(label, { head, componentRunIds: parts.map((p) => runIds[p]) }) : Promise.resolve();
await fuse(`fm1 (vision + ${bestText})`, 'fm1', ['vision', bestText]);
await fuse(`fm2 (+ fcnn)`, 'fm2', ['vision', bestText, 'fcnn']);
await fuse(`fm3 (+ xattn)`, 'fm3', ['vision', bestText, 'xattn']);
if (!values['paper-only']) await pastThePaper();
await app.close();

/**
 * The spatial variant of centernet-coco, seed ensembles and stacks. A stack refits its
 * components on folds of the training split, so its components are heads on features (the
 * fine-tuned BERT is not one of them).
 */
async function pastThePaper() {
  const grid = { visionEncoder: { id: values['vision-encoder']!, options: { pooling: 'grid2' } } };
  await runRow('vision grid2', { head: 'vision', ...grid });
  await runRow('fcnn grid2', { head: 'fcnn', ...grid });
  await fuse('fm2 grid2 (vision grid2 + text + fcnn grid2)', 'fm2', ['vision grid2', 'text', 'fcnn grid2']);
  await fuse('stack (vision + text + fcnn)', 'stack', ['vision', 'text', 'fcnn']);
  const heads = ['vision', 'text', 'fcnn', 'xattn', 'vision grid2', 'fcnn grid2'];
  await fuse(`stack (every head: ${heads.join(', ')})`, 'stack', heads);
  const seeds = Number(values.seeds);
  if (seeds < 2) return;
  const seeded = async (label: string, input: Record<string, unknown>) => {
    for (let k = 1; k < seeds; k++) await runRow(`${label} seed ${42 + k}`, { ...input, seed: 42 + k });
    const members = [label, ...Array.from({ length: seeds - 1 }, (_, k) => `${label} seed ${43 + k}`)];
    await fuse(`ensemble ${label} (${seeds} seeds)`, 'ensemble', members);
    return members;
  };
  const text = await seeded('text', { head: 'text', extraTrainDatasetIds: [captions] });
  const vision = await seeded('vision', { head: 'vision' });
  const fcnn = await seeded('fcnn', { head: 'fcnn' });
  await fuse(`stack (every seed of vision, text, fcnn: ${seeds * 3} runs)`, 'stack', [...vision, ...text, ...fcnn]);
}

const f = (x: unknown, d = 4) => (typeof x === 'number' ? x.toFixed(d) : '-');
console.log(`\nvision ${values['vision-encoder']}, text ${values['text-encoder']}; validation: train.csv's val split`);
console.log('| module | val micro-F1 | val macro-F1 | val samples-F1 | train micro-F1 | val loss | time (s) | parameters |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.head} | ${f(r.valMicroF1)} | ${f(r.valMacroF1)} | ${f(r.valSamplesF1)} | ${f(r.trainMicroF1)} | ${f(r.valLoss)} | ${f(r.seconds, 1)} | ${r.parameters ?? '-'} |`);
}
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
writeFileSync(join(projectRoot, 'bench', 'results', 'accuracy.json'), JSON.stringify({ date: new Date().toISOString(), encoders: { vision: values['vision-encoder'], text: values['text-encoder'] }, rows }, null, 2));
process.exit(0);
