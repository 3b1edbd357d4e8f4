import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mirrorFor } from '../storage/mirror.js';

/** Where a prediction set's submission file lives, relative to the data folder. */
export const submissionRelativePath = (setId: string) => join('predictions', setId, 'submission.csv');

// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * The Kaggle competition's submission format: a header `ImageID,Labels`, then one line per image
 * with its label ids separated by spaces, in the order given.
 */
export function submissionCsv(rows: { imageId: string; labels: number[] }[]): string {
  return ['ImageID,Labels', ...rows.map((r) => `${field(r.imageId)},${r.labels.join(' ')}`)].join('\n') + '\n';
}

/**
 * Writes the file by rename, so that a reader never sees half of it (a retried job rewrites it
 * whole), and uploads it to the bucket, if any, before the caller records it.
 */
export async function writeSubmission(dataDir: string, setId: string, csv: string): Promise<string> {
  const relative = submissionRelativePath(setId);
  const path = join(dataDir, relative);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, csv);
  await rename(tmp, path);
  await mirrorFor(dataDir).upload(path);
  return relative;
}

/** The local path of a recorded submission file, downloaded from the bucket when missing here. */
export async function localSubmission(dataDir: string, relative: string): Promise<string> {
  const path = join(dataDir, relative);
  await mirrorFor(dataDir).ensureLocal(path);
  return path;
}
