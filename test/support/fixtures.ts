import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { fixturesRoot } from './databases.js';

/** A small JPEG of one colour (tests make their own images; the shared sample is not used). */
export async function jpeg(width = 32, height = 24, seed = 0): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: (seed * 37) % 256, g: (seed * 91) % 256, b: (seed * 53) % 256 } } })
    .jpeg()
    .toBuffer();
}

/** A JPEG of random noise: slow enough to decode that a job takes measurable time. */
export async function noisyJpeg(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
}

export interface DatasetFixture {
  dir: string;
  csvPath: string;
  imagesDir: string;
}

/**
 * Writes a caption CSV exactly as given (so tests can write the defects real files have) and,
 * for each entry of `images`, a file in the images folder: a Buffer, or 'jpeg' for a valid image.
 * The files lie under fixturesRoot(), the test servers' data root.
 */
export async function writeDataset(csv: string, images: Record<string, Buffer | 'jpeg'> = {}): Promise<DatasetFixture> {
  const dir = mkdtempSync(join(fixturesRoot(), 'tagfusion-fixture-'));
  const imagesDir = join(dir, 'images');
  mkdirSync(imagesDir);
  const csvPath = join(dir, 'data.csv');
  writeFileSync(csvPath, csv);
  let seed = 1;
  for (const [name, content] of Object.entries(images)) {
    writeFileSync(join(imagesDir, name), content === 'jpeg' ? await jpeg(32, 24, seed++) : content);
  }
  return { dir, csvPath, imagesDir };
}

/** `n` labelled records with valid images; labels cycle through `labels`. */
export async function labelledDataset(n: number, labels: number[][] = [[1], [1, 2], [3]]): Promise<DatasetFixture> {
  const rows = ['ImageID,Labels,Caption'];
  const images: Record<string, 'jpeg'> = {};
  for (let i = 0; i < n; i++) {
    rows.push(`${i}.jpg,${labels[i % labels.length].join(' ')},"caption number ${i}"`);
    images[`${i}.jpg`] = 'jpeg';
  }
  return writeDataset(rows.join('\n') + '\n', images);
}

/** A dataset whose image check takes a few seconds on one thread: time to watch or cancel it. */
export async function slowDataset(n = 400) {
  const fx = await writeDataset('');
  const image = await noisyJpeg(640, 480);
  const rows = ['ImageID,Labels,Caption'];
  for (let i = 0; i < n; i++) {
    rows.push(`${i}.jpg,${(i % 3) + 1},"caption ${i}"`);
    writeFileSync(join(fx.imagesDir, `${i}.jpg`), image);
  }
  writeFileSync(fx.csvPath, rows.join('\n'));
  return fx;
}


const CAPTION_WORDS: Record<number, string[]> = { 1: ['person', 'man', 'woman'], 2: ['bicycle', 'bike'], 3: ['car', 'sedan'], 4: ['dog', 'puppy'] };

/** Labels of generated sample `i`: one of four classes, and a second one every third sample. */
export const labelsOf = (i: number) => [1 + (i % 4), ...(i % 3 === 0 ? [1 + ((i + 1) % 4)] : [])];

/** A caption of sample `i` that names `labels` among noise words. */
export const captionOf = (i: number, labels: number[]) =>
  `A photo of a ${labels.map((l) => CAPTION_WORDS[l][i % CAPTION_WORDS[l].length]).join(' and a ')} near the ${['street', 'park', 'house'][i % 3]}`;

/** `n` text-only samples whose captions name their labels: a text head learns them in a few epochs. */
export async function captionDataset(n: number): Promise<DatasetFixture> {
  const rows = ['ImageID,Labels,Caption'];
  for (let i = 0; i < n; i++) rows.push(`${i}.jpg,${labelsOf(i).join(' ')},"${captionOf(i, labelsOf(i))}"`);
  return writeDataset(rows.join('\n') + '\n');
}
