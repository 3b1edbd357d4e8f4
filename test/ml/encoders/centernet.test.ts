import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCenternetEncoder } from '../../../src/ml/encoders/centernet.js';
import type { ImageEncoder } from '../../../src/ml/encoders/types.js';
import { asymmetric, maxAbsDiff, mirror, symmetric, tempDir, writeGreyJpeg, writePng } from '../support/images.js';

// The real COCO model from @vladmandic/human runs at about 0.1 s per image here (0.2 s at 512), so the
// tests use a handful of images.
describe('centernet-coco encoder', () => {
  let encoder: ImageEncoder;
  const dir = tempDir();
  const paths: Record<string, string> = {};

  beforeAll(async () => {
    encoder = await createCenternetEncoder({ batchSize: 2 });
    paths.a = await writePng(dir, 'a.png', 320, 240, asymmetric(320, 240, 1));
    paths.cMirrored = await writePng(dir, 'c-mirrored.png', 320, 320, mirror(asymmetric(320, 320, 3), 320, 320));
    paths.b = await writePng(dir, 'b.png', 200, 300, asymmetric(200, 300, 2));
    paths.c = await writePng(dir, 'c.png', 320, 320, asymmetric(320, 320, 3));
    paths.sym = await writePng(dir, 'sym.png', 320, 320, symmetric(320, 320));
    paths.grey = await writeGreyJpeg(dir, 'grey.jpg', 64, 48);
  });
  afterAll(() => encoder?.dispose());

  it('describes itself: 160-d, a content version, the backend and preprocessing', () => {
    expect(encoder).toMatchObject({ id: 'centernet-coco', modality: 'image', dim: 160 });
    expect(encoder.version).toMatch(/^[0-9a-f]{64}$/);
    expect(encoder.backend).toMatch(/^tfjs-/);
    expect(encoder.preprocessing).toMatchObject({ size: [320, 320], fit: 'fill' });
    // MobileNetV3 backbone plus the CenterNet head: about 2 million weights
    expect(encoder.parameters).toBeGreaterThan(1_500_000);
    expect(encoder.parameters).toBeLessThan(3_000_000);
  });

  it('gives the same features for a batch as one image at a time, and on a second call', async () => {
    const images = [paths.a, paths.b, paths.c].map((path) => ({ path }));
    const batched = await encoder.encode(images); // chunks of 2 and 1
    expect(batched).toHaveLength(3);
    for (const f of batched) {
      expect(f).toBeInstanceOf(Float32Array);
      expect(f).toHaveLength(160);
      // max and mean of sigmoid heatmaps: within [0, 1], and each class's max ≥ its mean
      for (let k = 0; k < 80; k++) {
        expect(f[k]).toBeGreaterThanOrEqual(f[80 + k]);
        expect(f[k]).toBeLessThanOrEqual(1);
        expect(f[80 + k]).toBeGreaterThanOrEqual(0);
      }
    }
    for (let i = 0; i < images.length; i++) {
      const [single] = await encoder.encode([images[i]]);
      expect(maxAbsDiff(single, batched[i])).toBeLessThan(1e-5);
    }
    const again = await encoder.encode(images);
    again.forEach((f, i) => expect(Array.from(f)).toEqual(Array.from(batched[i])));
    // different pictures, different features
    expect(maxAbsDiff(batched[0], batched[1])).toBeGreaterThan(1e-3);
  });

  it('flips: a mirrored picture matches the flipped original; a symmetric one is unchanged', async () => {
    // At the input size (320×320) nothing is resampled, so mirroring before or after decoding is exact.
    const [plain, flipped] = await Promise.all([encoder.encode([{ path: paths.c }]), encoder.encode([{ path: paths.c }], { flip: true })]);
    const [mirrored] = await encoder.encode([{ path: paths.cMirrored }]);
    expect(maxAbsDiff(plain[0], flipped[0])).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(flipped[0], mirrored)).toBeLessThan(1e-6);

    const [symPlain] = await encoder.encode([{ path: paths.sym }]);
    const [symFlipped] = await encoder.encode([{ path: paths.sym }], { flip: true });
    expect(maxAbsDiff(symPlain, symFlipped)).toBeLessThan(1e-6);
  });

  it('keeps the tensor count flat across calls', async () => {
    await encoder.encode([{ path: paths.b }]);
    const before = tf.memory().numTensors;
    await encoder.encode([{ path: paths.a }, { path: paths.b }, { path: paths.c }], { flip: true });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads greyscale JPEGs as RGB', async () => {
    const [f] = await encoder.encode([{ path: paths.grey }]);
    expect(f).toHaveLength(160);
    expect(f.every(Number.isFinite)).toBe(true);
  });

  it('names the image that cannot be decoded', async () => {
    await expect(encoder.encode([{ path: `${dir}/missing.jpg` }])).rejects.toThrow(/missing\.jpg/);
  });

  it('with context: 288-d, the first 160 the same; another fit or input size: another version', async () => {
    const withContext = await createCenternetEncoder({ context: true });
    const contain = await createCenternetEncoder({ fit: 'contain' });
    const native = await createCenternetEncoder({ inputSize: 512 });
    try {
      expect(withContext.dim).toBe(288);
      expect(native.preprocessing).toMatchObject({ size: [512, 512] });
      expect(new Set([encoder.version, withContext.version, contain.version, native.version]).size).toBe(4);
      const [plain] = await encoder.encode([{ path: paths.b }]);
      const [rich] = await withContext.encode([{ path: paths.b }]);
      expect(rich).toHaveLength(288);
      expect(maxAbsDiff(rich.subarray(0, 160), plain)).toBeLessThan(1e-6);
      // 200×300 padded to a square is a different input from the stretched one
      const [padded] = await contain.encode([{ path: paths.b }]);
      expect(maxAbsDiff(padded, plain)).toBeGreaterThan(1e-3);
      // the graph's own size runs too (its 128×128 heatmaps), with features of the same kind
      const [big] = await native.encode([{ path: paths.b }]);
      expect(big).toHaveLength(160);
      expect(maxAbsDiff(big, plain)).toBeGreaterThan(1e-3);
    } finally {
      await Promise.all([withContext.dispose(), contain.dispose(), native.dispose()]);
    }
    await expect(createCenternetEncoder({ inputSize: 300 })).rejects.toThrow(/multiple of 32/);
  });

  it('says where it looked when the model files are missing', async () => {
    await expect(createCenternetEncoder({ modelDir: dir })).rejects.toThrow(`centernet model not found: ${dir}/centernet.json`);
  });
});
