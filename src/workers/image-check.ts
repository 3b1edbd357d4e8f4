import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { sep } from 'node:path';
import sharp from 'sharp';
import type { TaskMessage } from '../jobs/pool.js';
import { echoField } from '../util/echo.js';
import { FileTooLarge, MAX_IMAGE_FILE_BYTES, NotARegularFile, readImageFile } from '../util/read-file.js';

export { MAX_IMAGE_FILE_BYTES };

export interface ImageCheckInput {
  images: { imageId: string; path: string }[];
  /** images decoded at once; sharp itself runs one image per thread here */
  concurrency?: number;
  /** the images folder's real path: an image that is a link leading out of it is rejected */
  root?: string;
  /** largest width × height accepted; the header is read first, so a huge image is never decoded */
  maxPixels?: number;
}

const DEFAULT_MAX_PIXELS = 40_000_000;

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
      results[i] = await checkOne(input.images[i].imageId, input.images[i].path, input.root, input.maxPixels ?? DEFAULT_MAX_PIXELS);
      done++;
      if (done % 20 === 0) port.postMessage({ done } satisfies ImageCheckProgress);
    }
  };
  await Promise.all(Array.from({ length: input.concurrency ?? 4 }, worker));
  port.postMessage({ done } satisfies ImageCheckProgress);
  return results;
}

async function checkOne(imageId: string, path: string, root: string | undefined, maxPixels: number): Promise<ImageCheckResult> {
  let bytes: Buffer;
  try {
    if (root) {
      const real = await realpath(path);
      if (!real.startsWith(root.endsWith(sep) ? root : root + sep)) return { imageId, error: 'image file is a link that leads outside the images folder' };
    }
    // a named pipe or device is refused on its descriptor, never read (it would block this thread)
    bytes = await readImageFile(path);
  } catch (err) {
    if (err instanceof FileTooLarge) return { imageId, error: `image file has ${err.size} bytes; at most ${err.limit} are accepted` };
    if (err instanceof NotARegularFile) return { imageId, error: `image file ${err.message}` };
    const code = (err as NodeJS.ErrnoException).code;
    return { imageId, error: code === 'ENOENT' ? 'image file is missing' : `image file cannot be read (${code ?? 'error'})` };
  }
  try {
    // The header gives the size without decoding; limitInputPixels guards the decode as well, for
    // formats whose header can understate it.
    // (metadata reads the header only, so sharp's own pixel limit need not apply to it)
    const { width = 0, height = 0 } = await sharp(bytes, { limitInputPixels: false }).metadata();
    if (width * height > maxPixels) {
      return { imageId, error: `image is ${width}×${height} pixels (${width * height}); at most ${maxPixels} pixels are accepted (TAGFUSION_IMAGE_MAX_PIXELS)` };
    }
    const { info } = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels }).raw().toBuffer({ resolveWithObject: true });
    return { imageId, hash: createHash('sha256').update(bytes).digest('hex'), width: info.width, height: info.height };
  } catch (err) {
    return { imageId, error: `image cannot be decoded (${echoField((err as Error).message.split('\n')[0], 120)})` };
  }
}
