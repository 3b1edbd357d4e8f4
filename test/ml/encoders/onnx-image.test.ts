import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countOnnxParameters, createOnnxImageEncoder } from '../../../src/ml/encoders/onnx-image.js';
import type { ImageEncoder } from '../../../src/ml/encoders/types.js';
import { startFakeHub } from '../support/fake-hub.js';
import { maxAbsDiff, mirror, tempDir, writePng } from '../support/images.js';
import { onnxModel, type OnnxGraph } from '../support/onnx-builder.js';

const W = [0.5, -1, 2, 1, 1, -0.5]; // Conv weights [2 out, 3 in, 1, 1]
const B = [0.1, -0.2];

/** pixel_values [batch,3,side,side] → 1×1 Conv → Relu → a 4-D [batch,2,side,side] map. */
const convModel = (batch: number | string = 'batch', side = 8): OnnxGraph => ({
  inputs: [{ name: 'pixel_values', shape: [batch, 3, side, side] }],
  outputs: [{ name: 'features', shape: [batch, 2, side, side] }],
  initializers: [
    { name: 'W', dims: [2, 3, 1, 1], data: Float32Array.from(W) },
    { name: 'B', dims: [2], data: Float32Array.from(B) },
  ],
  nodes: [
    { op: 'Conv', inputs: ['pixel_values', 'W', 'B'], outputs: ['c'] },
    { op: 'Relu', inputs: ['c'], outputs: ['features'] },
  ],
});

/** pixel_values [batch,3,4,4] → tokens [batch,16,3] (one per pixel, row-major) and their mean [batch,3], as a ViT exports both. */
const tokenModel: OnnxGraph = {
  inputs: [{ name: 'pixel_values', shape: ['batch', 3, 4, 4] }],
  outputs: [
    { name: 'last_hidden_state', shape: ['batch', 16, 3] },
    { name: 'pooler_output', shape: ['batch', 3] },
  ],
  initializers: [{ name: 'shape', dims: [3], data: BigInt64Array.from([0n, 3n, -1n]) }],
  nodes: [
    { op: 'Reshape', inputs: ['pixel_values', 'shape'], outputs: ['r'] },
    { op: 'Transpose', inputs: ['r'], outputs: ['last_hidden_state'], attributes: { perm: [0, 2, 1] } },
    { op: 'ReduceMean', inputs: ['last_hidden_state'], outputs: ['pooler_output'], attributes: { axes: [1], keepdims: 0 } },
  ],
};

/** An NHWC model (as Keras exports): pixels [batch,4,4,3] → relu → the same map. */
const nhwcModel: OnnxGraph = {
  inputs: [{ name: 'input_1', shape: ['batch', 4, 4, 3] }],
  outputs: [{ name: 'map', shape: ['batch', 4, 4, 3] }],
  nodes: [{ op: 'Relu', inputs: ['input_1'], outputs: ['map'] }],
};

const CONFIG = { do_resize: true, size: { height: 8, width: 8 }, resample: 2, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.25, 1] };
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

function writeModel(graph: OnnxGraph, config?: object, file = 'model.onnx'): string {
  const dir = tempDir('tagfusion-onnx-');
  mkdirSync(join(dir, file, '..'), { recursive: true });
  writeFileSync(join(dir, file), onnxModel(graph));
  if (config) writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(config));
  return dir;
}

/** Seeded pseudo-random RGB pixels. */
function randomPixels(side: number, seed: number): Buffer {
  let s = seed * 2654435761;
  return Buffer.from(Array.from({ length: side * side * 3 }, () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 255));
}

/** Per pixel: normalise each channel, then a function of the 3 values. */
const perPixel = (data: Buffer, mean: number[], std: number[]) =>
  Array.from({ length: data.length / 3 }, (_, p) => [0, 1, 2].map((c) => (data[p * 3 + c] / 255 - mean[c]) / std[c]));

/** What the conv model's pooled output must be, computed by hand. */
function expectedConv(data: Buffer): number[] {
  const pixels = perPixel(data, CONFIG.image_mean, CONFIG.image_std);
  return [0, 1].map((o) => pixels.reduce((sum, x) => sum + Math.max(0, W[o * 3] * x[0] + W[o * 3 + 1] * x[1] + W[o * 3 + 2] * x[2] + B[o]), 0) / pixels.length);
}

describe('onnx image encoder', () => {
  const images = tempDir();
  const pixels = Array.from({ length: 20 }, (_, i) => randomPixels(8, i + 1));
  const paths: string[] = [];
  let conv: ImageEncoder;
  let convDir: string;

  beforeAll(async () => {
    for (let i = 0; i < pixels.length; i++) paths.push(await writePng(images, `${i}.png`, 8, 8, pixels[i]));
    convDir = writeModel(convModel(), CONFIG);
    conv = await createOnnxImageEncoder({ path: convDir, batchSize: 16 });
  });
  afterAll(() => conv?.dispose());

  it('says which files are missing and where it looked', async () => {
    const empty = tempDir();
    await expect(createOnnxImageEncoder({ path: empty })).rejects.toThrow(`${empty} has no model.onnx or onnx/model.onnx (looked for ${join(empty, 'model.onnx')}, ${join(empty, 'onnx', 'model.onnx')})`);
    await expect(createOnnxImageEncoder({ path: join(empty, 'nope') })).rejects.toThrow(/nope does not exist/);
    await expect(createOnnxImageEncoder({})).rejects.toThrow(/give path .* or hubId/);
    writeFileSync(join(empty, 'model.onnx'), 'not a model');
    await expect(createOnnxImageEncoder({ path: empty })).rejects.toThrow();
  });

  it('describes itself from the model and preprocessor_config.json', () => {
    expect(conv).toMatchObject({ id: 'onnx', modality: 'image', dim: 2, parameters: 8, backend: 'onnxruntime-cpu' });
    expect(conv.version).toMatch(/^[0-9a-f]{64}$/);
    expect(conv.preprocessing).toMatchObject({ size: [8, 8], kernel: 'linear', layout: 'NCHW', mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1], output: 'features', pooling: 'mean over space', from: 'preprocessor_config.json' });
  });

  it('pools a 4-D map over space, in batches, matching the value computed by hand', async () => {
    const features = await conv.encode(paths.map((path) => ({ path }))); // chunks of 16 and 4
    expect(features).toHaveLength(20);
    features.forEach((f, i) => expect(maxAbsDiff(f, expectedConv(pixels[i]))).toBeLessThan(1e-5));
    const one = await conv.encode([{ path: paths[17] }]);
    expect(Array.from(one[0])).toEqual(Array.from(features[17]));
  });

  it('runs a model with a fixed batch of 1, and one given as a .onnx file path', async () => {
    const fixedDir = writeModel(convModel(1), CONFIG, 'resnet.onnx');
    const fixed = await createOnnxImageEncoder({ path: join(fixedDir, 'resnet.onnx') });
    try {
      const features = await fixed.encode(paths.slice(0, 3).map((path) => ({ path })));
      features.forEach((f, i) => expect(maxAbsDiff(f, expectedConv(pixels[i]))).toBeLessThan(1e-5));
    } finally {
      await fixed.dispose();
    }
  });

  it('pools 3-D tokens by mean or first token, uses ImageNet defaults without a config, and flips', async () => {
    const dir = writeModel(tokenModel, undefined, 'onnx/model.onnx');
    const pooled = await createOnnxImageEncoder({ path: dir });
    const cls = await createOnnxImageEncoder({ path: dir, output: 'last_hidden_state', tokenPooling: 'cls' });
    const mean = await createOnnxImageEncoder({ path: dir, output: 'last_hidden_state' });
    try {
      const px = randomPixels(4, 99);
      const path = await writePng(images, 'four.png', 4, 4, px);
      const norm = perPixel(px, IMAGENET.mean, IMAGENET.std);
      const channelMean = [0, 1, 2].map((c) => norm.reduce((s, x) => s + x[c], 0) / 16);
      expect(pooled.preprocessing).toMatchObject({ size: [4, 4], output: 'pooler_output', pooling: 'none', from: 'defaults', mean: IMAGENET.mean });
      expect(maxAbsDiff((await pooled.encode([{ path }]))[0], channelMean)).toBeLessThan(1e-5);
      expect(maxAbsDiff((await mean.encode([{ path }]))[0], channelMean)).toBeLessThan(1e-5);
      // the first token is the top-left pixel; flipped, the top-right one
      expect(maxAbsDiff((await cls.encode([{ path }]))[0], norm[0])).toBeLessThan(1e-5);
      expect(maxAbsDiff((await cls.encode([{ path }], { flip: true }))[0], norm[3])).toBeLessThan(1e-5);
      const mirrored = perPixel(mirror(px, 4, 4), IMAGENET.mean, IMAGENET.std);
      expect(maxAbsDiff((await cls.encode([{ path }], { flip: true }))[0], mirrored[0])).toBeLessThan(1e-5);
      expect(new Set([pooled.version, cls.version, mean.version]).size).toBe(3);
      await expect(createOnnxImageEncoder({ path: dir, output: 'logits' })).rejects.toThrow(/no output "logits"; outputs: last_hidden_state, pooler_output/);
    } finally {
      await Promise.all([pooled.dispose(), cls.dispose(), mean.dispose()]);
    }
  });

  it('feeds NHWC models in their layout', async () => {
    const enc = await createOnnxImageEncoder({ path: writeModel(nhwcModel, { size: 4, image_mean: [0, 0, 0], image_std: [1, 1, 1] }) });
    try {
      const px = randomPixels(4, 7);
      const [f] = await enc.encode([{ path: await writePng(images, 'nhwc.png', 4, 4, px) }]);
      const expected = [0, 1, 2].map((c) => perPixel(px, [0, 0, 0], [1, 1, 1]).reduce((s, x) => s + x[c], 0) / 16);
      expect(enc.preprocessing).toMatchObject({ layout: 'NHWC', pooling: 'mean over space' });
      expect(maxAbsDiff(f, expected)).toBeLessThan(1e-5);
    } finally {
      await enc.dispose();
    }
  });

  it('changes version with the preprocessing, not between loads of the same folder', async () => {
    const again = await createOnnxImageEncoder({ path: convDir });
    const other = await createOnnxImageEncoder({ path: writeModel(convModel(), { ...CONFIG, image_std: [0.5, 0.5, 0.5] }) });
    expect(again.version).toBe(conv.version);
    expect(other.version).not.toBe(conv.version);
    await Promise.all([again.dispose(), other.dispose()]);
  });

  it('loads from a hub id through the cache, asking the hub only once', async () => {
    const hub = await startFakeHub({ 'acme/conv-net': { 'onnx/model.onnx': Buffer.from(onnxModel(convModel())), 'preprocessor_config.json': JSON.stringify(CONFIG) } });
    const options = { hubId: 'acme/conv-net', hubEndpoint: hub.endpoint, cacheDir: tempDir('tagfusion-hub-') };
    try {
      const fromHub = await createOnnxImageEncoder(options);
      expect(fromHub.preprocessing).toEqual(conv.preprocessing);
      expect(fromHub.version).toBe(conv.version);
      const [f] = await fromHub.encode([{ path: paths[0] }]);
      expect(maxAbsDiff(f, expectedConv(pixels[0]))).toBeLessThan(1e-5);
      await fromHub.dispose();
      const asked = hub.requests.length;
      await (await createOnnxImageEncoder(options)).dispose();
      expect(hub.requests.length).toBe(asked);
    } finally {
      await hub.close();
    }
  });

  it('counts initializer elements as parameters', () => {
    expect(countOnnxParameters(onnxModel(convModel()))).toBe(8);
    expect(countOnnxParameters(onnxModel(nhwcModel))).toBe(0);
  });
});
