/**
 * Epoch time and steps/s of each head over 25,000 cached samples at batch 64, 256 and 1,024,
 * against the same head in PyTorch on the CPU (Debian's python3-torch: same shapes, batch and
 * optimiser) at 1 and at 2 threads. The ratio is taken against PyTorch's faster setting per head
 * and batch (the one a user would pick), and says which it was. Both peers run in the same run,
 * back to back per batch size. Prints a table and writes bench/results/train-speed.json.
 *
 *   npm run bench:train-speed [-- --n 25000 --text-dim 1024 --image-dim 160 --batches 64,256,1024 --heads vision,text,fcnn,xattn]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/ml/backend.js';
import { trainHead, type EpochReport, type TrainingData } from '../src/ml/train.js';
import { projectRoot } from '../src/paths.js';
import { seededRandom } from '../src/util/random.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '25000' },
    'text-dim': { type: 'string', default: '1024' },
    'image-dim': { type: 'string', default: '160' },
    batches: { type: 'string', default: '64,256,1024' },
    classes: { type: 'string', default: '18' },
    heads: { type: 'string', default: 'vision,text,fcnn,xattn' },
  },
});
const n = Number(values.n);
const textDim = Number(values['text-dim']);
const imageDim = Number(values['image-dim']);
const classes = Number(values.classes);
const batches = values.batches!.split(',').map(Number);
const heads = values.heads!.split(',') as ('vision' | 'text' | 'fcnn' | 'xattn')[];
const THREADS = [1, 2];

const random = seededRandom(1);
const matrix = (rows: number, cols: number) => Float32Array.from({ length: rows * cols }, () => random() * 2 - 1);
const labels = Uint8Array.from({ length: n * classes }, () => (random() < 0.15 ? 1 : 0));
const data: TrainingData = {
  classes,
  textDim,
  imageDim,
  train: { n, labels, text: matrix(n, textDim), image: matrix(n, imageDim) },
  val: { n: 500, labels: labels.subarray(0, 500 * classes), text: matrix(500, textDim), image: matrix(500, imageDim) },
};

const backend = await initBackend('auto');

/** Seconds of tagfusion's second epoch (no compilation or first-touch costs). */
async function ours(head: (typeof heads)[number], batch: number): Promise<number> {
  const epochs: EpochReport[] = [];
  await trainHead(
    data,
    { head, learningRate: 1e-3, batchSize: batch, epochs: 2, optimizer: 'adam', weightDecay: 0, seed: 1, lossWeighting: 'none', hiddenUnits: 0, dropout: 0, attentionDim: 64, imageTokens: 80, earlyStopping: null, thresholds: 'fixed', flipAugment: false },
    (r) => void epochs.push(r),
  );
  return epochs[1].seconds;
}

/** PyTorch's second-epoch seconds per head at this batch and thread count. */
function torch(batch: number, threads: number): Record<string, number> {
  const out = execFileSync('/usr/bin/python3', [join(projectRoot, 'bench', 'torch_heads.py'), String(n), String(textDim), String(imageDim), String(classes), String(batch), String(threads), heads.join(',')], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((line) => JSON.parse(line) as { head: string; seconds: number }).map((r) => [r.head, r.seconds]));
}

interface Row {
  head: string;
  batch: number;
  steps: number;
  tagfusionSeconds: number;
  tagfusionStepsPerSecond: number;
  torchSeconds: Record<number, number | undefined>;
  torchBestThreads?: number;
  torchBestSeconds?: number;
  torchStepsPerSecond?: number;
  ratioVsTorchBest?: number;
}

const rows: Row[] = [];
let torchError: string | undefined;
for (const batch of batches) {
  const steps = Math.ceil(n / batch);
  const mine: Record<string, number> = {};
  for (const head of heads) mine[head] = await ours(head, batch);
  const theirs: Record<number, Record<string, number>> = {};
  for (const threads of THREADS) {
    try {
      theirs[threads] = torch(batch, threads);
    } catch (err) {
      torchError = `PyTorch not run: ${(err as Error).message.split('\n')[0]} (apt-get install python3-torch)`;
    }
  }
  for (const head of heads) {
    const torchSeconds = Object.fromEntries(THREADS.map((t) => [t, theirs[t]?.[head]]));
    const best = THREADS.filter((t) => torchSeconds[t] !== undefined).sort((a, b) => torchSeconds[a]! - torchSeconds[b]!)[0];
    const bestSeconds = best === undefined ? undefined : torchSeconds[best]!;
    rows.push({
      head,
      batch,
      steps,
      tagfusionSeconds: mine[head],
      tagfusionStepsPerSecond: steps / mine[head],
      torchSeconds,
      torchBestThreads: best,
      torchBestSeconds: bestSeconds,
      torchStepsPerSecond: bestSeconds && steps / bestSeconds,
      ratioVsTorchBest: bestSeconds && mine[head] / bestSeconds,
    });
  }
}

const f = (x: number | undefined, digits = 2) => (x === undefined ? '-' : x.toFixed(digits));
console.log(`backend ${backend.label}; ${n} samples, text ${textDim}-d, image ${imageDim}-d, ${classes} classes, Adam; seconds of the second epoch`);
const table = [['head', 'batch', 'tagfusion s/epoch', 'steps/s', 'torch 1 thr', 'torch 2 thr', 'torch best', 'steps/s', 'ours / torch best']];
for (const r of rows) {
  const best = r.torchBestThreads === undefined ? '-' : `${f(r.torchBestSeconds, 3)} (${r.torchBestThreads} thr)`;
  table.push([r.head, String(r.batch), f(r.tagfusionSeconds, 3), f(r.tagfusionStepsPerSecond, 0), f(r.torchSeconds[1], 3), f(r.torchSeconds[2], 3), best, f(r.torchStepsPerSecond, 0), f(r.ratioVsTorchBest)]);
}
const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
for (const row of table) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
if (torchError) console.log(torchError);
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
writeFileSync(join(projectRoot, 'bench', 'results', 'train-speed.json'), JSON.stringify({ date: new Date().toISOString(), backend: backend.label, n, textDim, imageDim, classes, batches, rows, torchError }, null, 2));
