import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawSample } from './predictor.js';

let scratch: Promise<string> | undefined;

/**
 * Image paths for the encoders, which read files (so that decoding is exactly training's:
 * image-preprocess.ts). Base64 images are written to a private temporary folder for the call.
 */
export async function materialiseImages(samples: RawSample[]): Promise<{ paths: string[]; cleanup: () => Promise<void> }> {
  const written: string[] = [];
  const paths: string[] = [];
  for (const [i, s] of samples.entries()) {
    if (!s.image) paths.push('');
    else if ('path' in s.image) paths.push(s.image.path);
    else {
      scratch ??= mkdtemp(join(tmpdir(), 'tagfusion-predict-'));
      const file = join(await scratch, `${process.pid}-${Date.now()}-${i}-${Math.random().toString(36).slice(2)}.img`);
      await writeFile(file, Buffer.from(s.image.base64, 'base64'));
      written.push(file);
      paths.push(file);
    }
  }
  return { paths, cleanup: async () => void (await Promise.all(written.map((f) => rm(f, { force: true })))) };
}
