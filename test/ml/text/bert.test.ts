import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/ml/backend.js';
import { bertFeatures, createBertEncoder, loadBert, saveBert } from '../../../src/ml/encoders/bert.js';
import { BertModel, bertConfig, parameterShapes, type BertConfig } from '../../../src/ml/text/bert.js';
import type { SafeTensor } from '../../../src/ml/text/safetensors.js';
import { referenceBert } from './bert-reference.js';

const CAPTIONS = [
  'A dog lying on a couch next to a cat.',
  'A red double decker bus driving down a street.',
  'Two men playing frisbee in a park.',
  'A plate of food with broccoli and a fork.',
  'A cat sleeping on a laptop keyboard.',
  'A man riding a wave on a surfboard.',
];
const SMALL = { hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, num_hidden_layers: 2, max_position_embeddings: 64 };
const tmp = () => mkdtempSync(join(tmpdir(), 'tagfusion-bert-'));

beforeAll(async () => {
  expect((await initBackend()).name).toBe('wasm');
});

describe('bert encoder', () => {
  it('saves a random BERT as a Hugging Face folder that loads back with identical outputs', async () => {
    const fresh = await loadBert({ vocabFromCaptions: CAPTIONS, config: SMALL, seed: 7, maxLength: 32 });
    const dir = tmp();
    saveBert(dir, fresh.model, fresh.tokenizer);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'bert', hidden_size: 32, vocab_size: fresh.tokenizer.size });
    const original = await createBertEncoder({ vocabFromCaptions: CAPTIONS, config: SMALL, seed: 7, maxLength: 32 });
    const reloaded = await createBertEncoder({ path: dir, maxLength: 32 });
    const other = await createBertEncoder({ vocabFromCaptions: CAPTIONS, config: SMALL, seed: 8, maxLength: 32 });
    expect(reloaded.dim).toBe(32);
    expect(reloaded.parameters).toBe(fresh.model.parameterCount);
    expect(reloaded.version).toBe(original.version);
    expect(other.version).not.toBe(original.version);
    expect(await reloaded.encode(CAPTIONS)).toEqual(await original.encode(CAPTIONS));
    for (const e of [original, reloaded, other]) await e.dispose();
    fresh.model.dispose();
  });

  it('matches a plain-JS reference BERT, padding included, and does not leak tensors', async () => {
    const { model, tokenizer } = await loadBert({ vocabFromCaptions: CAPTIONS, config: SMALL, seed: 3 });
    const batch = tokenizer.encode([CAPTIONS[2], CAPTIONS[0]]); // the first is shorter: padded
    const seq = tf.tidy(() => model.forward(tf.tensor2d(batch.inputIds, [2, batch.length], 'int32'), tf.tensor2d(batch.attentionMask, [2, batch.length], 'int32')));
    const got = (await seq.array()) as number[][][];
    seq.dispose();
    for (let b = 0; b < 2; b++) {
      const ids = [...batch.inputIds.subarray(b * batch.length, (b + 1) * batch.length)].filter((_, i) => batch.attentionMask[b * batch.length + i]);
      const want = referenceBert(model.toTensors(), model.config, ids);
      want.forEach((row, i) => row.forEach((v, j) => expect(got[b][i][j]).toBeCloseTo(v, 4)));
    }
    const encoder = await createBertEncoder({ vocabFromCaptions: CAPTIONS, config: SMALL, seed: 3, batchSize: 4 });
    const alone = await encoder.encode([CAPTIONS[2]]);
    await encoder.encode(CAPTIONS);
    const before = tf.memory().numTensors;
    const together = await encoder.encode(CAPTIONS);
    expect(tf.memory().numTensors).toBe(before);
    alone[0].forEach((v, j) => expect(together[2][j]).toBeCloseTo(v, 5)); // padding does not change a feature
    await encoder.dispose();
    model.dispose();
  });

  it('fine-tunes end to end on WASM: Adam steps lower the loss and move the embeddings', async () => {
    const loaded = await loadBert({ vocabFromCaptions: CAPTIONS, config: SMALL, seed: 1 });
    const target = tf.tidy(() => tf.randomNormal([CAPTIONS.length, 32], 0, 1, 'float32', 5));
    const optimizer = tf.train.adam(1e-2);
    const words = loaded.model.weights.get('embeddings.word_embeddings.weight')!;
    const wordsBefore = words.dataSync().slice();
    const losses: number[] = [];
    let tensors = 0;
    for (let step = 0; step < 8; step++) {
      if (step === 1) tensors = tf.memory().numTensors; // after Adam created its slots
      const loss = optimizer.minimize(() => tf.losses.meanSquaredError(target, bertFeatures(loaded, CAPTIONS)) as tf.Scalar, true, loaded.model.variables())!;
      losses.push(loss.dataSync()[0]);
      loss.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.7);
    const moved = words.dataSync();
    const dog = loaded.tokenizer.id('##o')!; // in "dog", "on", "of"…
    const unused = loaded.tokenizer.id('[MASK]')!;
    const H = 32;
    expect(moved.subarray(dog * H, dog * H + H)).not.toEqual(wordsBefore.subarray(dog * H, dog * H + H));
    expect(moved.subarray(unused * H, unused * H + H)).toEqual(wordsBefore.subarray(unused * H, unused * H + H));
    // The trained weights survive a save and reload bit for bit.
    const dir = tmp();
    saveBert(dir, loaded.model, loaded.tokenizer);
    const reloaded = await createBertEncoder({ path: dir, batchSize: 64 });
    const trained = tf.tidy(() => bertFeatures(loaded, CAPTIONS, 64).arraySync());
    expect((await reloaded.encode(CAPTIONS)).map((v) => [...v])).toEqual(trained);
    await reloaded.dispose();
    target.dispose();
    optimizer.dispose();
    loaded.model.dispose();
  });

  it('gives the same features and gradients whatever the length buckets (rows come back in order)', async () => {
    const loaded = await loadBert({ vocabFromCaptions: CAPTIONS, config: SMALL, seed: 4 });
    const captions = [...CAPTIONS, 'A cat.', CAPTIONS[1]];
    const weights = loaded.model.variables();
    // Reference: one batch in the callers' order, straight through the model (no sorting, no permutation).
    const direct = () => {
      const b = loaded.tokenizer.encode(captions);
      return loaded.model.pooled(tf.tensor2d(b.inputIds, [b.batch, b.length], 'int32'), tf.tensor2d(b.attentionMask, [b.batch, b.length], 'int32'));
    };
    const run = (features: () => tf.Tensor2D) =>
      tf.tidy(() => {
        const target = tf.linspace(-1, 1, captions.length * 32).reshape([captions.length, 32]);
        const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(target, features()) as tf.Scalar, weights);
        return [features().arraySync(), weights.map((w) => grads[w.name].arraySync())];
      });
    const [oneBatch, gradsOne] = run(direct);
    const [buckets, gradsBuckets] = run(() => bertFeatures(loaded, captions, 3));
    (buckets as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo((oneBatch as number[][])[i][j], 5)));
    expect((buckets as number[][])[7]).toEqual((buckets as number[][])[1]); // the same caption twice
    const flat = (g: unknown) => [g].flat(Infinity) as number[];
    const gradientGap = (gradsBuckets as unknown[]).map((g, k) => {
      const want = flat((gradsOne as unknown[])[k]);
      return flat(g).reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
    });
    expect(Math.max(...gradientGap)).toBeLessThan(1e-5);
    loaded.model.dispose();
  });

  it('loads HF checkpoint names: "bert." prefix, gamma/beta, [out, in] linear weights, extra heads ignored', () => {
    const config: BertConfig = bertConfig({ ...SMALL, vocab_size: 20, num_hidden_layers: 1 });
    let n = 0;
    const tensors = new Map<string, SafeTensor>();
    for (const [name, shape] of parameterShapes(config)) {
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.sin(++n));
      tensors.set(`bert.${name.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')}`, { dtype: 'F32', shape, data });
    }
    tensors.set('bert.pooler.dense.weight', { dtype: 'F32', shape: [32, 32], data: new Float32Array(1024) });
    tensors.set('cls.predictions.bias', { dtype: 'F32', shape: [20], data: new Float32Array(20) });
    const model = BertModel.fromTensors(config, tensors);
    const W = tensors.get('bert.encoder.layer.0.intermediate.dense.weight')!; // [64 out, 32 in]
    const bias = tensors.get('bert.encoder.layer.0.intermediate.dense.bias')!.data;
    const x = Array.from({ length: 3 }, (_, r) => Array.from({ length: 32 }, (_, i) => Math.cos(r * 32 + i)));
    const got = tf.tidy(() => model.linear(tf.tensor2d(x), 'encoder.layer.0.intermediate.dense').arraySync());
    x.forEach((row, r) => {
      for (let o = 0; o < 64; o++) expect(got[r][o]).toBeCloseTo(bias[o] + row.reduce((s, v, i) => s + v * W.data[o * 32 + i], 0), 4);
    });
    expect(model.weights.get('embeddings.LayerNorm.weight')!.dataSync()).toEqual(tensors.get('bert.embeddings.LayerNorm.gamma')!.data);
    expect(model.toTensors().get('encoder.layer.0.intermediate.dense.weight')!.data).toEqual(W.data); // saved back as [out, in]
    model.dispose();
    expect(() => BertModel.fromTensors(bertConfig({ ...SMALL, vocab_size: 21, num_hidden_layers: 1 }), tensors)).toThrow(/word_embeddings.weight has shape \[20,32\]/);
    tensors.delete('bert.encoder.layer.0.output.dense.bias');
    expect(() => BertModel.fromTensors(config, tensors)).toThrow(/lacks 1 weights, e.g. encoder.layer.0.output.dense.bias/);
  });

  it('fetches a hub id from the endpoint once, then loads it from the cache', async () => {
    const fresh = await loadBert({ vocabFromCaptions: CAPTIONS, config: SMALL, seed: 2 });
    const dir = tmp();
    saveBert(dir, fresh.model, fresh.tokenizer);
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url!);
      const m = /^\/acme\/tiny\/resolve\/refs%2Fpr%2F1\/(config\.json|model\.safetensors|vocab\.txt)$/.exec(req.url!);
      if (!m) return void res.writeHead(404).end();
      res.end(readFileSync(join(dir, m[1])));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const cacheDir = tmp();
    const hub = { hubId: 'acme/tiny', revision: 'refs/pr/1', hubEndpoint: endpoint, cacheDir };
    const fromHub = await createBertEncoder(hub);
    expect(requests).toEqual(['config.json', 'model.safetensors', 'vocab.txt'].map((f) => `/acme/tiny/resolve/refs%2Fpr%2F1/${f}`));
    expect(fromHub.preprocessing.source).toBe('hub:acme/tiny@refs/pr/1');
    await new Promise((r) => server.close(r));
    const cached = await createBertEncoder(hub);
    expect(await cached.encode(CAPTIONS.slice(0, 2))).toEqual(await fromHub.encode(CAPTIONS.slice(0, 2)));
    await expect(createBertEncoder({ hubId: 'acme/none', hubEndpoint: 'http://127.0.0.1:1', cacheDir })).rejects.toThrow();
    await expect(createBertEncoder({})).rejects.toThrow(/needs path, hubId or vocabFromCaptions/);
    await expect(createBertEncoder({ path: tmp() })).rejects.toThrow(/lacks config.json/);
    for (const e of [fromHub, cached]) await e.dispose();
    fresh.model.dispose();
  });
});
