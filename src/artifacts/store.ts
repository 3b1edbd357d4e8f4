import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errors, isAppError } from '../errors.js';
import { mirrorFor } from '../storage/mirror.js';
import { NotARegularFile, openRegularFile } from '../util/regular-file.js';

/**
 * Artifact files on disk and in the bucket. An upload streams into a temporary file under
 * `<root>/.incoming/` (the same file system, so the final rename is atomic; never a run's
 * folder, so no half-written file ever sits beside finished ones or is mirrored), hashed and
 * counted on the way; only a complete file within the limit is renamed to `<root>/<uri>` and
 * then uploaded to the bucket, itself streamed from the file (src/storage/s3-store.ts).
 */
const INCOMING = '.incoming';

/** Write errors that mean the store cannot take the file. */
const FULL: Record<string, string> = { ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EIO: 'an I/O error of the disk', EFBIG: 'the file is too large for the file system' };

export interface Received {
  tmp: string;
  sizeBytes: number;
  sha256: string;
}

/**
 * Streams `source` to a temporary file, failing with `tooLarge()` as soon as it passes
 * `maxBytes`. On any failure the temporary file is removed and the rest of `source` is read and
 * dropped (not destroyed): an HTTP client still sending its body then reads our answer instead
 * of a reset connection.
 */
export async function receive(root: string, source: Readable, maxBytes: number, tooLarge: () => Error, what: { runId: string; path: string }): Promise<Received> {
  const tmp = join(root, INCOMING, `${randomBytes(12).toString('hex')}.tmp`);
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sizeBytes += chunk.length;
      if (sizeBytes > maxBytes) return done(tooLarge());
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // pipe, not pipeline, from the source: pipeline would destroy the request (and its socket) on error.
  const aborted = () => !source.readableEnded && meter.destroy(errors.badInput('The upload ended before its last byte; nothing was stored.', { field: 'body' }));
  source.once('error', aborted).once('close', aborted);
  try {
    await mkdir(dirname(tmp), { recursive: true });
    source.pipe(meter);
    await pipeline(meter, createWriteStream(tmp, { flags: 'wx' }));
    return { tmp, sizeBytes, sha256: hash.digest('hex') };
  } catch (err) {
    source.unpipe(meter);
    source.resume();
    await discard(tmp);
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (FULL[code]) throw errors.artifactWriteFailed(what.runId, what.path, sizeBytes, code, FULL[code]);
    throw err;
  } finally {
    source.off('error', aborted).off('close', aborted);
  }
}

export const discard = (tmp: string) => rm(tmp, { force: true }).catch(() => undefined);

/**
 * Renames a received file to `<root>/<uri>` (replacing a file there) and uploads it to the
 * bucket. A clash with the tree on disk (the path is a folder there, or one of its parents is a
 * file) is CONFLICT.
 */
export async function place(root: string, tmp: string, uri: string, what: { runId: string; path: string }): Promise<void> {
  const target = join(root, uri);
  try {
    await mkdir(dirname(target), { recursive: true });
    await rename(tmp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (['EISDIR', 'ENOTDIR', 'EEXIST', 'ENOTEMPTY'].includes(code)) throw clash(what.runId, what.path);
    throw err;
  }
  await mirrorFor(root).upload(target);
}

export const clash = (runId: string, path: string) =>
  errors.conflict(`The artifact path ${path} of run ${runId} clashes with what the run holds: a file cannot also be a folder.`, { runId, path });

/**
 * Opens `<root>/<uri>` for reading, fetching it from the bucket first when this machine lacks it.
 * Only a regular file is opened (never a pipe or device put in its place); anything else, or a
 * file missing everywhere, is ARTIFACT_NOT_FOUND. The caller closes the handle.
 */
export async function openFile(root: string, uri: string, what: { runId: string; path: string }) {
  const path = join(root, uri);
  try {
    await mirrorFor(root).ensureLocal(path);
    return await openRegularFile(path);
  } catch (err) {
    if (err instanceof NotARegularFile || (isAppError(err) && err.code === 'STORE_OBJECT_MISSING')) throw errors.artifactNotFound(what.runId, what.path);
    throw err;
  }
}

/** Makes sure files are in this machine's folder (downloading the missing ones from the bucket). */
export async function ensureLocal(root: string, uris: string[]): Promise<void> {
  await Promise.all(uris.map((uri) => mirrorFor(root).ensureLocal(join(root, uri))));
}

/**
 * Removes files from this machine's folder and from the bucket, then the folders they leave
 * empty (up to the run's folder), so that a later upload may use a removed folder's name for a
 * file. Their rows are gone first, so no reader looks for them; another machine's local copy
 * stays until `tagfusion gc` there, unread.
 */
export async function removeFiles(root: string, runId: string, uris: string[]): Promise<void> {
  const runDir = join(root, runId);
  const dirs = new Set<string>();
  for (const uri of uris) {
    const path = join(root, uri);
    await rm(path, { force: true });
    for (let d = dirname(path); d.startsWith(`${runDir}/`); d = dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => undefined);
  await mirrorFor(root).remove(...uris.map((uri) => join(root, uri)));
}
