import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { errors, isAppError } from '../errors.js';
import type { JobContext, JobDefinition } from '../jobs/types.js';
import type { ImageCheckInput, ImageCheckProgress, ImageCheckResult } from '../workers/image-check.js';
import { echoField } from '../util/echo.js';
import type { CsvProblem, CsvRecord } from './csv.js';
import { parseImportPayload, type ImportInput, type ImportPayload } from './import-input.js';
import { confinedPath, importRoots } from './paths.js';
import { readCaptionCsv } from './read-csv.js';
import { saveDatasetVersion, type NewSample } from './repository.js';
import { stratifiedSplit } from './split.js';

export interface ImportResult extends Record<string, unknown> {
  datasetId: string;
  version: number;
  /** true when identical content had been imported before and that version was returned */
  reused: boolean;
  sampleCount: number;
  rejectedCount: number;
}

/** Images per pool task: small enough to spread over the threads and report progress. */
const IMAGES_PER_TASK = 250;
/** Characters of an ImageID a rejected record repeats (it says where; the line number says it too). */
const IMAGE_ID_ECHO = 100;

/**
 * Imports a caption file (and its images) as a dataset version. Parsing the file, and decoding
 * and hashing every image, run in the worker pool. The version is written in one transaction, so a
 * failed or cancelled import leaves nothing behind, and a retry is harmless (content-addressed).
 */
export const importDatasetJob: JobDefinition<ImportPayload, ImportResult> = {
  kind: 'dataset-import',
  retryLimit: 2,
  retryDelaySeconds: 5,
  expireInSeconds: 4 * 3600,
  parsePayload: parseImportPayload,
  async run(ctx, input) {
    ctx.progress(0, 'reading CSV');
    // Errors name the paths as the user gave them; the payload holds their real paths.
    const shown = { csvPath: input.given?.csvPath ?? input.csvPath, imagesDir: input.given?.imagesDir ?? input.imagesDir };
    // Checked again here: the files may have changed (or become links) since the job was queued.
    const roots = importRoots(ctx.config);
    const confine = (what: string, path: string, given: string, kind: 'file' | 'dir') =>
      confinedPath(what, path, kind, roots).catch((err) => {
        throw isAppError(err) && err.code === 'PATH_NOT_ALLOWED' ? errors.pathNotAllowed(what, given) : errors.pathNotFound(what, given);
      });
    const csvPath = await confine('CSV file', input.csvPath, shown.csvPath, 'file');
    const imagesDir = input.imagesDir ? await confine('Images folder', input.imagesDir, shown.imagesDir!, 'dir') : null;
    const parsed = await readCaptionCsv(ctx, csvPath, shown.csvPath);
    const problems: CsvProblem[] = [...parsed.problems];
    const records = dropDuplicates(parsed.records, problems);
    // Each step below takes a tenth of a second per 300,000 records; on the embedded database
    // the main thread also serves every request, so it is given back between them.
    await nextTurn();

    let accepted: (CsvRecord & { imagePath?: string; imageHash?: string })[] = records;
    if (imagesDir) {
      const checked = await checkImages(ctx, imagesDir, shown.imagesDir!, records, problems);
      accepted = checked;
    }
    if (accepted.length === 0) throw errors.emptyDataset(shown.csvPath);
    problems.sort((a, b) => a.line - b.line);

    ctx.progress(0.95, 'saving');
    const labelled = parsed.format === 'labelled';
    const isVal = labelled ? stratifiedSplit(accepted.map((r) => r.labels!), input.valFraction, input.splitSeed) : [];
    await nextTurn();
    const samples: NewSample[] = accepted.map((r, i) => ({
      imageId: r.imageId,
      imagePath: r.imagePath ?? null,
      imageHash: r.imageHash ?? null,
      caption: r.caption,
      labels: r.labels ?? [],
      split: labelled ? (isVal[i] ? 'VAL' : 'TRAIN') : 'UNLABELLED',
      line: r.line,
    }));
    const names = new Map((input.labelNames ?? []).map((l) => [l.id, l.name]));
    const saved = await saveDatasetVersion(ctx.db.prisma, {
      name: input.name,
      checksum: await contentChecksum(input, parsed.format, samples, problems),
      labelled,
      hasImages: Boolean(input.imagesDir),
      csvPath,
      imagesDir,
      splitSeed: input.splitSeed,
      valFraction: input.valFraction,
      samples,
      rejections: problems.map((p) => ({ line: p.line, imageId: p.imageId === undefined ? null : echoField(p.imageId, IMAGE_ID_ECHO), reason: p.reason })),
      labelNames: names,
    });
    ctx.progress(1, saved.reused ? `identical to version ${saved.version}` : `saved as version ${saved.version}`);
    return { datasetId: saved.id, version: saved.version, reused: saved.reused, sampleCount: samples.length, rejectedCount: problems.length };
  },
};

function dropDuplicates(records: CsvRecord[], problems: CsvProblem[]): CsvRecord[] {
  const firstLine = new Map<string, number>();
  return records.filter((r) => {
    const seen = firstLine.get(r.imageId);
    if (seen !== undefined) {
      problems.push({ line: r.line, imageId: r.imageId, reason: `duplicate ImageID (first seen on line ${seen})` });
      return false;
    }
    firstLine.set(r.imageId, r.line);
    return true;
  });
}

async function checkImages(ctx: JobContext, imagesDir: string, shownAs: string, records: CsvRecord[], problems: CsvProblem[]) {
  const dirStat = await stat(imagesDir).catch(() => undefined);
  if (!dirStat?.isDirectory()) throw errors.pathNotFound('Images folder', shownAs);
  // An ImageID names a file in the images folder, never a path that leaves it.
  const usable = records.filter((r) => {
    const plain = basename(r.imageId) === r.imageId && r.imageId !== '.' && r.imageId !== '..' && !r.imageId.includes('\\');
    if (!plain) problems.push({ line: r.line, imageId: r.imageId, reason: 'ImageID is not a plain file name' });
    return plain;
  });
  const chunks: { imageId: string; path: string }[][] = [];
  for (let i = 0; i < usable.length; i += IMAGES_PER_TASK) {
    chunks.push(usable.slice(i, i + IMAGES_PER_TASK).map((r) => ({ imageId: r.imageId, path: join(imagesDir, r.imageId) })));
  }
  const doneByChunk = new Array<number>(chunks.length).fill(0);
  const onDone = () => {
    const done = doneByChunk.reduce((a, b) => a + b, 0);
    ctx.progress(0.05 + 0.9 * (done / Math.max(1, usable.length)), `checked ${done} of ${usable.length} images`);
  };
  const results = await Promise.all(
    chunks.map((images, c) =>
      ctx.pool.run<unknown, ImageCheckResult[]>('imageCheck', { images, root: imagesDir, maxPixels: ctx.config.imageMaxPixels } satisfies ImageCheckInput, {
        signal: ctx.signal,
        onMessage: (m) => {
          doneByChunk[c] = (m as ImageCheckProgress).done;
          onDone();
        },
      }),
    ),
  );
  const byId = new Map(results.flat().map((r) => [r.imageId, r]));
  return usable.flatMap((r) => {
    const check = byId.get(r.imageId)!;
    if (check.error) {
      problems.push({ line: r.line, imageId: r.imageId, reason: check.error });
      return [];
    }
    return [{ ...r, imagePath: r.imageId, imageHash: check.hash }];
  });
}

/**
 * Identical content (records, image bytes, split settings, label names) gives the same checksum.
 * Hashing 300,000 records takes about 0.3 s: it gives the main thread back every 20,000.
 */
async function contentChecksum(input: ImportInput, format: string, samples: NewSample[], problems: CsvProblem[]): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify({ format, valFraction: input.valFraction, splitSeed: input.splitSeed, labelNames: input.labelNames ?? [] }));
  for (const [i, s] of samples.entries()) {
    h.update(`\n${s.imageId}\t${s.labels.join(' ')}\t${s.imageHash ?? ''}\t${s.caption}`);
    if (i % 20_000 === 19_999) await nextTurn();
  }
  for (const p of problems) h.update(`\n!${p.line}\t${p.imageId ?? ''}\t${p.reason}`);
  return h.digest('hex');
}
