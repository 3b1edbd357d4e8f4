import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { mirrorFor } from '../storage/mirror.js';

/**
 * The files of collected rows: a run's artifact folder (`<data>/artifacts/<run>/`) and a
 * prediction set's submission folder (`<data>/predictions/<set>/`), on this machine and, when
 * the data folder is shared through a bucket, the objects under the same keys there. Other
 * machines' working copies of a bucket are caches; they keep their copies until cleared.
 */
export interface Place {
  /** the folder on this machine */
  local: string;
  /** the store's key prefix, ending with `/` */
  key: string;
}

/** What was (or would be) freed: files and bytes in this data folder, objects and bytes in the bucket. */
export interface Freed {
  files: number;
  bytes: number;
  storeObjects: number;
  storeBytes: number;
}

export const nothingFreed = (): Freed => ({ files: 0, bytes: 0, storeObjects: 0, storeBytes: 0 });

/** Ids are ours (UUIDs), but a folder is removed recursively: a segment that could climb is never joined. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function placeOf(dataDir: string, kind: 'Run' | 'PredictionSet', id: string): Place | null {
  if (!SAFE_SEGMENT.test(id)) return null;
  const folder = kind === 'Run' ? 'artifacts' : 'predictions';
  return { local: join(dataDir, folder, id), key: `${folder}/${id}/` };
}

async function localSize(dir: string): Promise<{ files: number; bytes: number }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  let bytes = 0;
  let files = 0;
  for (const e of entries) {
    if (e.isDirectory()) continue;
    // lstat: a link counts as itself; rm removes the link, never what it points at.
    bytes += (await lstat(join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
    files++;
  }
  return { files, bytes };
}

/** Adds up what the places hold, here and in the bucket; with `remove`, removes it too. */
export async function sweep(dataDir: string, places: Place[], remove: boolean): Promise<Freed> {
  const store = mirrorFor(dataDir).store;
  const freed = nothingFreed();
  for (const p of places) {
    const here = await localSize(p.local);
    const there = store.remote ? await (remove ? store.removeUnder(p.key) : store.measure(p.key)) : { objects: 0, bytes: 0 };
    if (remove) await rm(p.local, { recursive: true, force: true });
    freed.files += here.files;
    freed.bytes += here.bytes;
    freed.storeObjects += there.objects;
    freed.storeBytes += there.bytes;
  }
  return freed;
}

export function addFreed(a: Freed, b: Freed): Freed {
  return { files: a.files + b.files, bytes: a.bytes + b.bytes, storeObjects: a.storeObjects + b.storeObjects, storeBytes: a.storeBytes + b.storeBytes };
}
