import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { allowedImagePath, checkInputs } from '../../src/prediction/inputs.js';
import type { PredictorPlan } from '../../src/prediction/plan.js';
import { Lru } from '../../src/prediction/lru.js';
import { parseModelRef } from '../../src/prediction/model-ref.js';
import { submissionCsv } from '../../src/prediction/submission.js';
import { tempDir } from '../ml/support/images.js';

describe('model references', () => {
  it('reads name@alias and name/version, and refuses anything else naming it', () => {
    expect(parseModelRef('tagger@champion')).toEqual({ name: 'tagger', alias: 'champion' });
    expect(parseModelRef('comp5329.fm2/12')).toEqual({ name: 'comp5329.fm2', version: 12 });
    for (const bad of ['tagger', 'tagger@', '@champion', 'tagger/0', 'tagger/1.5', 'a@b@c', 'a/b/3', 'tag ger@x', 'tagger/-1']) {
      expect(() => parseModelRef(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringContaining(`"${bad}"`) }));
    }
  });
});

describe('submission files', () => {
  it('write the competition format: ImageID,Labels with space-separated ids, quoting odd ids', () => {
    const csv = submissionCsv([
      { imageId: '30000.jpg', labels: [1, 19] },
      { imageId: '30001.jpg', labels: [3] },
      { imageId: 'odd,"name".jpg', labels: [2] },
    ]);
    expect(csv).toBe('ImageID,Labels\n30000.jpg,1 19\n30001.jpg,3\n"odd,""name"".jpg",2\n');
  });
});

describe('image paths', () => {
  const root = tempDir('tagfusion-root-');
  const outside = tempDir('tagfusion-outside-');
  mkdirSync(join(root, 'images'));
  writeFileSync(join(root, 'images', 'a.jpg'), 'x');
  writeFileSync(join(outside, 'b.jpg'), 'x');
  symlinkSync(join(outside, 'b.jpg'), join(root, 'images', 'out.jpg'));
  symlinkSync(join(root, 'images', 'a.jpg'), join(root, 'images', 'in.jpg'));
  symlinkSync(outside, join(root, 'elsewhere'));

  it('accept files under a root, links included when they stay inside', async () => {
    expect(await allowedImagePath(join(root, 'images', 'a.jpg'), [root])).toBe(join(root, 'images', 'a.jpg'));
    expect(await allowedImagePath(join(root, 'images', 'in.jpg'), [root])).toBe(join(root, 'images', 'a.jpg'));
    expect(await allowedImagePath(join(root, 'images', '..', 'images', 'a.jpg'), [join(root, 'images')])).toBe(join(root, 'images', 'a.jpg'));
  });

  it('accept a path typed through a link outside the roots that leads into one (the dataset stored the real path)', async () => {
    // The data folder reached through a symbolic link: import stored the real image folder, and
    // predict is given the path as the user typed it.
    symlinkSync(root, join(outside, 'data'));
    const typed = join(outside, 'data', 'images', 'a.jpg');
    expect(await allowedImagePath(typed, [join(root, 'images')])).toBe(join(root, 'images', 'a.jpg'));
    // Through the same link, a file that is not there tells nothing about what exists outside.
    await expect(allowedImagePath(join(outside, 'data', 'images', 'none.jpg'), [join(root, 'images')])).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
  });

  it('refuse traversal, links and folders that lead out, and say when a file is missing', async () => {
    const code = (p: string, roots = [root]) => allowedImagePath(p, roots).then(() => 'OK', (e) => e.code);
    expect(await code(join(root, '..', outside.split('/').pop()!, 'b.jpg'))).toBe('PATH_NOT_ALLOWED');
    expect(await code(join(root, 'images', 'out.jpg'))).toBe('PATH_NOT_ALLOWED');
    expect(await code(join(root, 'elsewhere', 'b.jpg'))).toBe('PATH_NOT_ALLOWED');
    expect(await code(join(outside, 'b.jpg'))).toBe('PATH_NOT_ALLOWED');
    expect(await code(`${root}-sibling/a.jpg`)).toBe('PATH_NOT_ALLOWED');
    expect(await code(join(root, 'images', 'none.jpg'))).toBe('PATH_NOT_FOUND');
    expect(await code(join(root, 'images'))).toBe('PATH_NOT_FOUND');
    expect(await code(join(root, 'images', 'a.jpg'), [])).toBe('PATH_NOT_ALLOWED');
  });
});

describe('prediction images', () => {
  const plan = { label: 'vision/1', head: 'vision', needs: { text: false, image: true } } as PredictorPlan;
  const root = tempDir('tagfusion-images-');
  const png = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#808080' } }).png().toBuffer();
  const code = (inputs: unknown, maxPixels: number) => checkInputs(inputs, plan, async () => [root], maxPixels).then(() => 'OK', (e) => `${e.code} ${e.details.field}: ${e.message}`);

  it('accept images within the pixel limit, by path or base64', async () => {
    writeFileSync(join(root, 'small.png'), await png(32, 32));
    const base64 = (await png(32, 32)).toString('base64');
    expect(await code([{ image: { path: join(root, 'small.png') } }, { image: { base64 } }], 32 * 32)).toBe('OK');
  });

  it('refuse an image whose header declares too many pixels, and anything that is not an image, naming the input', async () => {
    writeFileSync(join(root, 'big.png'), await png(64, 48));
    expect(await code([{ image: { path: join(root, 'big.png') } }], 1000)).toBe(
      'BAD_INPUT inputs.0.image.path: inputs.0.image.path: the image is 64×48 pixels (3072); at most 1000 are accepted (TAGFUSION_IMAGE_MAX_PIXELS)',
    );
    const base64 = (await png(64, 48)).toString('base64');
    expect(await code([{ image: { base64 } }, { image: { base64 } }], 3072)).toBe('OK');
    expect(await code([{ image: { base64: (await png(8, 8)).toString('base64') } }, { image: { base64 } }], 3000)).toMatch(/^BAD_INPUT inputs\.1\.image\.base64: .*64×48 pixels/);
    writeFileSync(join(root, 'text.png'), 'not an image at all');
    expect(await code([{ image: { path: join(root, 'text.png') } }], 1000)).toMatch(/^BAD_INPUT inputs\.0\.image\.path: .*not an image that can be read/);
    expect(await code([{ image: { base64: Buffer.from('plain text').toString('base64') } }], 1000)).toMatch(/^BAD_INPUT inputs\.0\.image\.base64: .*not an image/);
  });
});

describe('the least-recently-used cache', () => {
  it('evicts the entry used longest ago, and tells', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, (_, k) => evicted.push(k));
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
  });
});
