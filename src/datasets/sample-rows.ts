import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Prisma } from '../db/generated/client.js';
import type { NewDatasetVersion } from './repository.js';

/**
 * Rows per INSERT (samples are inserted in order: their ids keep the file's order). Each statement sends one array per column and unnest()s them: Prisma's
 * createMany sends a parameter per field, and took PGlite 89 s for 300,000 samples (this takes
 * about 10 s). PGlite runs a statement on the main thread: 10,000 rows hold it about 0.4 s,
 * and the turn given between statements lets requests in (without it a transaction's statements
 * follow each other as microtasks, and no timer or socket is served until the last).
 */
const ROWS = 5000;

/** Inserts a dataset version's samples (part of saveDatasetVersion's transaction). */
export async function insertSamples(tx: Prisma.TransactionClient, datasetId: string, samples: NewDatasetVersion['samples']): Promise<void> {
  for (let i = 0; i < samples.length; i += ROWS) {
    const rows = samples.slice(i, i + ROWS);
    const column = <K extends keyof (typeof rows)[number]>(key: K) => rows.map((r) => r[key]);
    // labels travel as array literals ('{1,19}'): unnest() flattens an array of arrays
    const labels = rows.map((r) => `{${r.labels.join(',')}}`);
    await tx.$executeRaw`
      INSERT INTO "Sample" ("datasetId", "imageId", "imagePath", "imageHash", "caption", "labels", "split", "line")
      SELECT ${datasetId}, u.image_id, u.image_path, u.image_hash, u.caption, u.labels::int[], u.split::"Split", u.line
      FROM unnest(${column('imageId')}::text[], ${column('imagePath')}::text[], ${column('imageHash')}::text[], ${column('caption')}::text[],
                  ${labels}::text[], ${column('split')}::text[], ${column('line')}::int[]) WITH ORDINALITY
        AS u(image_id, image_path, image_hash, caption, labels, split, line, position)
      ORDER BY u.position`;
    await nextTurn();
  }
}

/** Inserts a dataset version's rejected records (part of saveDatasetVersion's transaction). */
export async function insertRejections(tx: Prisma.TransactionClient, datasetId: string, rejections: NewDatasetVersion['rejections']): Promise<void> {
  for (let i = 0; i < rejections.length; i += ROWS) {
    const rows = rejections.slice(i, i + ROWS);
    await tx.$executeRaw`
      INSERT INTO "ImportRejection" ("datasetId", "line", "imageId", "reason")
      SELECT ${datasetId}, u.line, u.image_id, u.reason
      FROM unnest(${rows.map((r) => r.line)}::int[], ${rows.map((r) => r.imageId)}::text[], ${rows.map((r) => r.reason)}::text[]) WITH ORDINALITY
        AS u(line, image_id, reason, position)
      ORDER BY u.position`;
    await nextTurn();
  }
}
