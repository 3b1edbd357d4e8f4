import { openRegularFile } from './regular-file.js';

export { NotARegularFile } from './regular-file.js';

/**
 * Largest image file read. A 40-megapixel photo is under 30 MB as JPEG; anything bigger is not
 * a photo this project can use, and reading it whole would cost its size in memory per thread.
 */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

/** A regular file larger than the caller's limit: `size` and `limit` in bytes, for its message. */
export class FileTooLarge extends Error {
  override name = 'FileTooLarge';
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`has ${size} bytes; at most ${limit} are read`);
  }
}

/**
 * The bytes of a regular file of at most `maxBytes`, read from the very descriptor that was
 * checked (openRegularFile: a named pipe, device, socket or folder is refused without blocking).
 * Only the size fstat reported is read: a file that grows meanwhile is read as it was, and a
 * pseudo-file that reports 0 bytes (/proc/self/environ) reads as empty.
 * Throws NotARegularFile or FileTooLarge.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path);
  try {
    if (size > maxBytes) throw new FileTooLarge(size, maxBytes);
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** An image file's bytes (readRegularFile with MAX_IMAGE_FILE_BYTES). */
export const readImageFile = (path: string) => readRegularFile(path, MAX_IMAGE_FILE_BYTES);
