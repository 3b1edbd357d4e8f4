/**
 * Epoch time of each head over 25,000 cached samples, against the same head in PyTorch on the
 * CPU (Debian's python3-torch: same shapes, batch and optimiser), measured in one run.
 * Prints a table and writes bench/results/train-speed.json.
 *
 *   npm run bench:train-speed [-- --n 25000 --text-dim 1024 --image-dim 160 --batch 64]
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
  options: { n: { type: 'string', default: '25000' }, 'text-dim': { type: 'string', default: '1024' }, 'image-dim': { type: 'string', default: '160' }, batch: { type: 'string', default: '64' }, classes: { type: 'string', default: '18' } },
});
const n = Number(values.n);
const textDim = Number(values['text-dim']);
const imageDim = Number(values['image-dim']);
const batch = Number(values.batch);
const classes = Number(values.classes);

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
const heads = ['vision', 'text', 'fcnn', 'xattn'] as const;
const ours: Record<string, number> = {};
for (const head of heads) {
  const epochs: EpochReport[] = [];
  await trainHead(
    data,
    { head, learningRate: 1e-3, batchSize: batch, epochs: 2, optimizer: 'adam', weightDecay: 0, seed: 1, lossWeighting: 'none', hiddenUnits: 0, dropout: 0, attentionDim: 64, imageTokens: 80, earlyStopping: null, thresholds: 'fixed', flipAugment: false },
    (r) => void epochs.push(r),
  );
  ours[head] = epochs[1].seconds; // the second epoch: no compilation or first-touch costs
}

const torch: Record<string, Record<number, number>> = {};
let torchError: string | undefined;
for (const threads of [1, 2]) {
  try {
    const out = execFileSync('/usr/bin/python3', [join(projectRoot, 'bench', 'torch_heads.py'), String(n), String(textDim), String(imageDim), String(classes), String(batch), String(threads)], { encoding: 'utf8' });
    for (const line of out.trim().split('\n')) {
      const r = JSON.parse(line) as { head: string; seconds: number };
      (torch[r.head] ??= {})[threads] = r.seconds;
    }
  } catch (err) {
    torchError = `PyTorch not run: ${(err as Error).message.split('\n')[0]} (apt-get install python3-torch)`;
  }
}

const rows = heads.map((head) => ({
  head,
  tagfusionSeconds: ours[head],
  torch1ThreadSeconds: torch[head]?.[1],
  torch2ThreadsSeconds: torch[head]?.[2],
  ratioVsTorch2Threads: torch[head]?.[2] ? ours[head] / torch[head][2] : undefined,
}));
console.log(`backend ${backend.label}; ${n} samples, text ${textDim}-d, image ${imageDim}-d, ${classes} classes, batch ${batch}, Adam`);
console.log('head    tagfusion s/epoch  torch(1 thr)  torch(2 thr)  ratio (ours / torch 2 thr)');
for (const r of rows) {
  const f = (x?: number) => (x === undefined ? '-' : x.toFixed(2));
  console.log(`${r.head.padEnd(8)}${f(r.tagfusionSeconds).padStart(17)}${f(r.torch1ThreadSeconds).padStart(14)}${f(r.torch2ThreadsSeconds).padStart(14)}${f(r.ratioVsTorch2Threads).padStart(14)}`);
}
if (torchError) console.log(torchError);
mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
writeFileSync(join(projectRoot, 'bench', 'results', 'train-speed.json'), JSON.stringify({ date: new Date().toISOString(), backend: backend.label, n, textDim, imageDim, classes, batch, rows, torchError }, null, 2));
