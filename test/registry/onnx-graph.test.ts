import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { NotOnnxError, readOnnxGraph } from '../../src/registry/onnx-graph.js';
import { INT64, linearOnnx, onnxModel, onnxTensor } from './onnx-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'tagfusion-onnx-'));
const file = (name: string, bytes: Buffer | string) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe('reading an ONNX file’s inputs and outputs', () => {
  it('reads what onnxruntime reads, and the hand-written model runs', async () => {
    const bytes = linearOnnx({ features: 3, labels: 2, weights: [1, 0, 0, 1, 1, 1], bias: [0.5, -0.5] });
    const path = file('linear.onnx', bytes);
    expect(await readOnnxGraph(path)).toEqual({
      inputs: [{ name: 'features', elemType: 1, shape: [null, 3] }],
      outputs: [{ name: 'logits', elemType: 1, shape: [null, 2] }],
    });
    const session = await ort.InferenceSession.create(path);
    expect([session.inputNames, session.outputNames]).toEqual([['features'], ['logits']]);
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]) });
    expect(Array.from(out.logits.data as Float32Array)).toEqual([1 + 3 + 0.5, 2 + 3 - 0.5]);
  });

  it('skips weights listed among the inputs (IR version 3) and keeps fixed batch sizes', async () => {
    const path = file(
      'old.onnx',
      onnxModel({
        irVersion: 3,
        inputs: [{ name: 'ids', type: INT64, dims: [1, 32] }],
        outputs: [{ name: 'y', dims: [1, 4] }],
        weights: [onnxTensor('emb', [2, 2], [1, 2, 3, 4])],
        weightsAsInputs: [{ name: 'emb', dims: [2, 2] }],
      }),
    );
    expect(await readOnnxGraph(path)).toEqual({ inputs: [{ name: 'ids', elemType: 7, shape: [1, 32] }], outputs: [{ name: 'y', elemType: 1, shape: [1, 4] }] });
  });

  it('reads a large model by skipping its weights', async () => {
    const weights = Array.from({ length: 2_000_000 }, (_, i) => i % 3);
    const path = file('big.onnx', linearOnnx({ features: 1000, labels: 2000, weights, bias: Array(2000).fill(0) }));
    expect((await readOnnxGraph(path)).outputs[0].shape).toEqual([null, 2000]);
  });

  it('refuses files that are not ONNX models', async () => {
    const cases = ['', 'hello world, not a protobuf', JSON.stringify({ format: 'onnx' }), linearOnnx({ features: 2, labels: 2 }).subarray(0, 40)];
    for (const [i, bytes] of cases.entries()) await expect(readOnnxGraph(file(`bad${i}.onnx`, bytes)), `case ${i}`).rejects.toBeInstanceOf(NotOnnxError);
  });
});
