/**
 * Text encoder speed: captions/s for `glove-100d` and for `bert` (BERT-tiny shape: 2 layers,
 * hidden 128, 2 heads, intermediate 512; random weights, vocabulary from the captions), frozen
 * encoding by batch size, plus fine-tuning steps (forward + backward + Adam) and WordNet
 * synonym augmentation. Prints a table and writes bench/results/text-speed.json.
 *
 *   npx tsx bench/text-speed.ts [--captions FILE] [--limit N]
 *
 * FILE: a caption CSV (ImageID,…,Caption) or one caption per line. Default: the shared
 * COMP5329 sample when present, else generated captions.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { parseCaptionCsv } from '../src/datasets/csv.js';
import { augmentCaptions, loadWordNet } from '../src/ml/augment/synonyms.js';
import { initBackend } from '../src/ml/backend.js';
import { bertFeatures, createBertEncoder, loadBert } from '../src/ml/encoders/bert.js';
import { createGloveEncoder } from '../src/ml/encoders/glove.js';
import { BERT_TINY, BertModel } from '../src/ml/text/bert.js';
import { projectRoot } from '../src/paths.js';
import { seededRandom } from '../src/util/random.js';

const { values } = parseArgs({ options: { captions: { type: 'string' }, limit: { type: 'string', default: '5000' } } });
const sample = join(projectRoot, '..', 'shared', 'datasets', 'comp5329-sample', 'captions.csv');
const file = values.captions ?? (existsSync(sample) ? sample : undefined);
const captions = (file ? readCaptions(file) : generated(5000)).slice(0, Number(values.limit));
const rows: Record<string, string | number>[] = [];
const table = (r: Record<string, string | number>) => {
  rows.push(r);
  console.log(Object.entries(r).map(([k, v]) => `${k}=${typeof v === 'number' ? +v.toFixed(2) : v}`).join('  '));
};
const time = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t0 = performance.now();
  const result = await f();
  return [result, (performance.now() - t0) / 1000];
};

const backend = await initBackend();
console.log(`${captions.length} captions from ${file ?? 'the generator'}; TF.js backend ${backend.label}`);

// glove-100d: load once, then encode.
const [glove, gloveLoad] = await time(() => createGloveEncoder());
table({ encoder: 'glove-100d', stage: 'load', seconds: gloveLoad });
const [, gloveSeconds] = await time(() => glove.encode(captions));
table({ encoder: 'glove-100d', stage: 'encode', captions: captions.length, seconds: gloveSeconds, perSecond: captions.length / gloveSeconds });

// bert, frozen: BERT-tiny shape with random weights.
for (const batchSize of [32, 64, 128]) {
  const bert = await createBertEncoder({ vocabFromCaptions: captions, seed: 0, batchSize, maxLength: 64 });
  await bert.encode(captions.slice(0, batchSize)); // warm-up
  const [, s] = await time(() => bert.encode(captions));
  table({ encoder: 'bert-tiny (random)', stage: 'encode', batchSize, vocab: bert.preprocessing.vocabSize as number, captions: captions.length, seconds: s, perSecond: captions.length / s });
  await bert.dispose();
}

// bert, fine-tuning: forward + backward through every layer and the embedding, Adam. Once with
// the captions' vocabulary, once with BERT-tiny's full 30,522-token embedding (as when
// fine-tuning the pretrained model: its gradient and Adam update cover 3.9M more weights).
for (const fullVocab of [false, true]) {
  const loaded = await loadBert({ vocabFromCaptions: captions, seed: 0, maxLength: 64 });
  if (fullVocab) {
    loaded.model.dispose();
    loaded.model = BertModel.random(BERT_TINY, 0);
  }
  const vocab = loaded.model.config.vocab_size;
  const head = tf.variable(tf.randomNormal([128, 18], 0, 0.02, 'float32', 1));
  const optimizer = tf.train.adam(1e-4);
  for (const batchSize of [128, 256]) {
    const steps = Math.max(2, Math.min(8, Math.floor(captions.length / batchSize)));
    const targets = tf.tidy(() => tf.randomUniform([batchSize, 18]).greater(0.8).toFloat());
    const step = (i: number) => {
      const batch = captions.slice(i * batchSize, (i + 1) * batchSize);
      optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(targets, bertFeatures(loaded, batch).matMul(head)) as tf.Scalar, false, [...loaded.model.variables(), head]);
    };
    step(0); // warm-up: Adam creates its slots
    const [, s] = await time(() => {
      for (let i = 0; i < steps; i++) step(i);
    });
    table({ encoder: 'bert-tiny (random)', stage: 'train step', batchSize, vocab, steps, seconds: s, perSecond: (steps * batchSize) / s });
    targets.dispose();
  }
  loaded.model.dispose();
  head.dispose();
  optimizer.dispose();
}

// Synonym augmentation (WordNet).
const [, wordnetLoad] = await time(() => loadWordNet());
const [, augmentSeconds] = await time(() => augmentCaptions(captions, 1));
table({ encoder: 'synonyms', stage: 'augment', loadSeconds: wordnetLoad, captions: captions.length, seconds: augmentSeconds, perSecond: captions.length / augmentSeconds });

mkdirSync(join(projectRoot, 'bench', 'results'), { recursive: true });
const out = join(projectRoot, 'bench', 'results', 'text-speed.json');
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: availableParallelism(), backend: backend.label, captionsFrom: file ?? 'generated', rows }, null, 2));
console.log(`\nwrote ${out}`);

function readCaptions(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  if (/^ImageID,/i.test(text)) return parseCaptionCsv(text).records.map((r) => r.caption);
  return text.split(/\r?\n/).filter((l) => l.trim());
}

/** COCO-like captions from a small grammar, seeded. */
function generated(n: number): string[] {
  const random = seededRandom(42);
  const pick = (xs: string[]) => xs[Math.floor(random() * xs.length)];
  const subjects = ['a man', 'a woman', 'two dogs', 'a cat', 'a group of people', 'a young boy', 'a giraffe', 'a red bus', 'a plate of food'];
  const verbs = ['sitting on', 'standing next to', 'riding', 'walking down', 'lying on', 'holding', 'looking at'];
  const objects = ['a couch', 'the street', 'a surfboard', 'a wooden table', 'a grassy field', 'a laptop', 'a kitchen counter', 'the beach'];
  return Array.from({ length: n }, () => `${pick(subjects)} ${pick(verbs)} ${pick(objects)}.`.replace(/^./, (c) => c.toUpperCase()));
}
