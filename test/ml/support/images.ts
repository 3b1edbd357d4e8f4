import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/** A temporary folder for generated images and models. */
export function tempDir(prefix = 'tagfusion-enc-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Raw RGB pixels from a function of (x, y) → [r, g, b] (0–255). */
export function pixels(width: number, height: number, colour: (x: number, y: number) => [number, number, number]): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * 3);
  }
  return data;
}

/** Writes raw RGB pixels as a lossless PNG (so tests know every pixel exactly) and returns its path. */
export async function writePng(dir: string, name: string, width: number, height: number, data: Buffer): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, await sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer());
  return path;
}

/** Blobs and stripes that differ between the left and right halves: its mirror image is a different picture. */
export function asymmetric(width: number, height: number, seed = 1): Buffer {
  return pixels(width, height, (x, y) => {
    const u = x / width;
    const v = y / height;
    const blob = (u - 0.3) ** 2 + (v - 0.4 - 0.1 * seed) ** 2 < 0.02 ? 200 : 0;
    return [Math.round(255 * u * u), (blob + 40 * seed + Math.round(60 * Math.sin(9 * v + seed))) & 255, x % 16 < 8 && u > 0.6 ? 220 : 30];
  });
}

/** A picture equal to its own mirror image (every row is a palindrome). */
export function symmetric(width: number, height: number): Buffer {
  return pixels(width, height, (x, y) => {
    const d = Math.min(x, width - 1 - x) / width;
    return [Math.round(255 * d * 2), (y * 3) & 255, d < 0.1 ? 240 : 40];
  });
}

/** The same pixels mirrored left-right. */
export function mirror(data: Buffer, width: number, height: number): Buffer {
  const out = Buffer.alloc(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.copy(out, (y * width + (width - 1 - x)) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return out;
}

/** A single-channel (greyscale) JPEG, as some COCO images are. */
export async function writeGreyJpeg(dir: string, name: string, width: number, height: number): Promise<string> {
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 255;
  const path = join(dir, name);
  writeFileSync(path, await sharp(data, { raw: { width, height, channels: 1 } }).jpeg().toBuffer());
  return path;
}

/** Largest absolute difference between two vectors. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
