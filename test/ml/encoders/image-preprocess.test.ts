import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hfImageSettings, inChunks, loadRgb, writeChw } from '../../../src/ml/encoders/image-preprocess.js';
import { asymmetric, maxAbsDiff, mirror, pixels, tempDir, writeGreyJpeg, writePng } from '../support/images.js';

describe('image preprocessing', () => {
  const dir = tempDir();

  it('flips after resizing: the flipped picture is the mirror of the unflipped one', async () => {
    const path = await writePng(dir, 'a.png', 320, 240, asymmetric(320, 240));
    const spec = { width: 64, height: 64, fit: 'fill' as const };
    const plain = await loadRgb(path, spec);
    const flipped = await loadRgb(path, spec, true);
    expect(maxAbsDiff(flipped.data, mirror(plain.data, 64, 64))).toBe(0);
    expect(maxAbsDiff(flipped.data, plain.data)).toBeGreaterThan(50);
  });

  it('resizes the shorter side, then crops the centre', async () => {
    // 40×20, left half black, right half white, with a red column at x = 19 and 20
    const data = pixels(40, 20, (x) => (x === 19 || x === 20 ? [255, 0, 0] : x < 20 ? [0, 0, 0] : [255, 255, 255]));
    const path = await writePng(dir, 'wide.png', 40, 20, data);
    // shorter side 20 → 20 (no resampling), centre 10×10 crop = x 15..24
    const { data: out, width, height } = await loadRgb(path, { width: 10, height: 10, fit: 'fill', cropFrom: 20 });
    expect([width, height]).toEqual([10, 10]);
    const row = Array.from({ length: 10 }, (_, x) => Array.from(out.subarray(x * 3, x * 3 + 3)));
    expect(row[0]).toEqual([0, 0, 0]);
    expect(row[4]).toEqual([255, 0, 0]);
    expect(row[5]).toEqual([255, 0, 0]);
    expect(row[9]).toEqual([255, 255, 255]);
  });

  it('pads with black for contain, and turns greyscale into 3 equal channels', async () => {
    const grey = await writeGreyJpeg(dir, 'grey.jpg', 64, 32);
    const { data } = await loadRgb(grey, { width: 16, height: 16, fit: 'contain' });
    expect(Array.from(data.subarray(0, 3))).toEqual([0, 0, 0]); // top row is padding
    const mid = (8 * 16 + 8) * 3;
    expect(data[mid]).toBe(data[mid + 1]);
    expect(data[mid + 1]).toBe(data[mid + 2]);
  });

  it('names the file it cannot decode', async () => {
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'not a jpeg');
    await expect(loadRgb(bad, { width: 8, height: 8, fit: 'fill' })).rejects.toThrow(`cannot read image ${bad}`);
  });

  it('writes normalised CHW planes', () => {
    const image = { data: Buffer.from([0, 128, 255, 255, 0, 64]), width: 2, height: 1 };
    const out = new Float32Array(7);
    writeChw(image, { scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 1] }, out, 1);
    const expected = [0, (0 - 0.5) / 0.5, (1 - 0.5) / 0.5, (128 / 255 - 0.5) / 0.25, (0 - 0.5) / 0.25, 1 - 0.5, 64 / 255 - 0.5];
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
  });

  it('processes chunks in order and decodes ahead', async () => {
    const log: string[] = [];
    const out = await inChunks(
      [1, 2, 3, 4, 5],
      2,
      async (chunk) => (log.push(`decode ${chunk}`), chunk),
      (chunk) => (log.push(`compute ${chunk}`), chunk.map((x) => x * 10)),
    );
    expect(out).toEqual([10, 20, 30, 40, 50]);
    expect(log).toEqual(['decode 1,2', 'decode 3,4', 'compute 1,2', 'decode 5', 'compute 3,4', 'compute 5']);
  });

  it('reads Hugging Face preprocessor configs', () => {
    const nchw = ['batch', 3, 'height', 'width'];
    // CLIP: shorter side 224, centre crop 224, bicubic, its own mean and std
    const clip = hfImageSettings({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, do_center_crop: true, resample: 3, image_mean: [0.48, 0.46, 0.41], image_std: [0.27, 0.26, 0.28] }, nchw);
    expect(clip.resize).toEqual({ width: 224, height: 224, fit: 'fill', cropFrom: 224, kernel: 'cubic' });
    expect(clip.normalisation).toEqual({ scale: 1 / 255, mean: [0.48, 0.46, 0.41], std: [0.27, 0.26, 0.28] });
    // ConvNeXt: crop_pct 0.875 → shorter side 256, crop 224
    expect(hfImageSettings({ size: { shortest_edge: 224 }, crop_pct: 0.875 }, nchw).resize).toMatchObject({ width: 224, height: 224, cropFrom: 256 });
    // ViT: an exact size; old configs give a bare number
    expect(hfImageSettings({ size: { height: 384, width: 384 }, do_normalize: false }, nchw)).toMatchObject({ resize: { width: 384, height: 384, fit: 'fill' }, normalisation: { mean: [0, 0, 0], std: [1, 1, 1] } });
    expect(hfImageSettings({ size: 300, do_rescale: false }, nchw)).toMatchObject({ resize: { width: 300, height: 300 }, normalisation: { scale: 1 } });
    // no config: the model's fixed size, or 224; ImageNet statistics; NHWC from the input shape
    expect(hfImageSettings(undefined, [1, 3, 380, 380])).toMatchObject({ resize: { width: 380, height: 380, fit: 'fill', kernel: 'linear' }, layout: 'NCHW', normalisation: { mean: [0.485, 0.456, 0.406] } });
    expect(hfImageSettings(undefined, ['n', 'h', 'w', 3])).toMatchObject({ resize: { width: 224, height: 224 }, layout: 'NHWC' });
    expect(() => hfImageSettings({ size: 224 }, [1, 3, 380, 380])).toThrow(/model takes 380×380 images, the preprocessor config makes 224×224/);
  });
});
