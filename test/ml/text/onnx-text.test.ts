import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOnnxTextEncoder } from '../../../src/ml/encoders/onnx-text.js';
import { WordPiece } from '../../../src/ml/text/wordpiece.js';
import { writeOnnxTextFolder } from './onnx-fixture.js';

const CAPTIONS = ['A dog lying on a couch.', 'A red bus on the street!', 'Two zebras near a fence'];

describe('onnx-text encoder', () => {
  it('runs a local ONNX model offline through transformers.js with mean pooling', async () => {
    const tokenizer = WordPiece.fromCaptions(CAPTIONS, { minCount: 1 });
    const dim = 6;
    const table = Float32Array.from({ length: tokenizer.size * dim }, (_, i) => Math.sin(i * 0.7));
    const dir = mkdtempSync(join(tmpdir(), 'tagfusion-onnx-'));
    writeOnnxTextFolder(dir, tokenizer, table, dim);
    const encoder = await createOnnxTextEncoder({ path: dir, batchSize: 2 });
    expect(encoder).toMatchObject({ id: 'onnx-text', modality: 'text', dim, backend: 'onnxruntime-cpu' });
    const got = await encoder.encode(CAPTIONS);
    // Gather model: the feature is the mean of the caption's token rows, [CLS] and [SEP] included.
    CAPTIONS.forEach((caption, c) => {
      const batch = tokenizer.encode([caption]);
      for (let j = 0; j < dim; j++) {
        const want = [...batch.inputIds].reduce((s, id) => s + table[id * dim + j], 0) / batch.length;
        expect(got[c][j]).toBeCloseTo(want, 5);
      }
    });
    const normalised = await createOnnxTextEncoder({ path: dir, normalize: true });
    const [unit] = await normalised.encode(CAPTIONS.slice(0, 1));
    expect(Math.hypot(...unit)).toBeCloseTo(1, 5);
    expect(normalised.version).not.toBe(encoder.version);
    await encoder.dispose();
    await normalised.dispose();
  });

  it('says which files an incomplete folder lacks, without going online', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagfusion-onnx-'));
    writeOnnxTextFolder(dir, WordPiece.fromCaptions(CAPTIONS, { minCount: 1 }), new Float32Array(0), 0);
    rmSync(join(dir, 'onnx'), { recursive: true });
    rmSync(join(dir, 'tokenizer_config.json'));
    await expect(createOnnxTextEncoder({ path: dir })).rejects.toThrow(/lacks tokenizer_config.json, onnx\/model.onnx/);
    await expect(createOnnxTextEncoder({ path: dir, quantized: true })).rejects.toThrow(/onnx\/model_quantized.onnx/);
    await expect(createOnnxTextEncoder({})).rejects.toThrow(/needs path/);
  });
});
