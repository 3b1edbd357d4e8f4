import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { TaskMessage } from '../jobs/pool.js';

export interface ImageCheckInput {
  images: { imageId: string; path: string }[];
  /** images decoded at once; sharp itself runs one image per thread here */
  concurrency?: number;
}

export interface ImageCheckResult {
  imageId: string;
  /** sha256 of the file's bytes, when it could be read and decoded */
  hash?: string;
  width?: number;
  height?: number;
  error?: string;
}

/** Progress message: how many images of this task are done. */
export interface ImageCheckProgress {
  done: number;
}

/** Reads and fully decodes each image (a header check would miss truncated files). */
export async function imageCheck({ input, port }: TaskMessage<ImageCheckInput>): Promise<ImageCheckResult[]> {
  const results: ImageCheckResult[] = new Array(input.images.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < input.images.length) {
      const i = next++;
      results[i] = await checkOne(input.images[i].imageId, input.images[i].path);
      done++;
      if (done % 20 === 0) port.postMessage({ done } satisfies ImageCheckProgress);
    }
  };
  await Promise.all(Array.from({ length: input.concurrency ?? 4 }, worker));
  port.postMessage({ done } satisfies ImageCheckProgress);
  return results;
}

async function checkOne(imageId: string, path: string): Promise<ImageCheckResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { imageId, error: code === 'ENOENT' ? 'image file is missing' : `image file cannot be read (${code ?? 'error'})` };
  }
  try {
    const { info } = await sharp(bytes, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    return { imageId, hash: createHash('sha256').update(bytes).digest('hex'), width: info.width, height: info.height };
  } catch (err) {
    return { imageId, error: `image cannot be decoded (${(err as Error).message.split('\n')[0].slice(0, 120)})` };
  }
}
