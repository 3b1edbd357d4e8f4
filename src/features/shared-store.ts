import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mirrorFor } from '../storage/mirror.js';
import { completeFiles, partFileNames } from './store.js';

/**
 * A feature set's folder and the bucket (when there is one): parts extracted on any machine are
 * fetched before the folder is read or listed, and parts written here are uploaded before the
 * FeatureSet row is written. Without a bucket every function here does nothing.
 */

/** Downloads the set's files the bucket holds and the folder lacks; returns the names the bucket holds. */
export async function fetchFeatureSet(dir: string): Promise<Set<string>> {
  return new Set(await mirrorFor(dir).ensureLocalTree(dir));
}

/** Uploads a part just written, its list of skipped items first (a part never goes up without it). */
export async function publishPart(dir: string, part: number): Promise<string[]> {
  const mirror = mirrorFor(dir);
  if (!mirror.store.remote) return [];
  const names = partFileNames(part).filter((n) => existsSync(join(dir, n)));
  for (const n of names) await mirror.upload(join(dir, n));
  return names;
}

/** Uploads every complete file of the set that the bucket does not hold yet (`shared`: names it holds). */
export async function publishUnshared(dir: string, shared: Set<string>): Promise<void> {
  const mirror = mirrorFor(dir);
  if (!mirror.store.remote) return;
  const todo = (await completeFiles(dir)).filter((n) => !shared.has(n));
  // Skipped lists before parts, meta.json last: whoever lists the bucket meanwhile sees whole parts.
  const rank = (n: string) => (n.endsWith('.skipped.json') ? 0 : n === 'meta.json' ? 2 : 1);
  for (const r of [0, 1, 2]) await mirror.upload(...todo.filter((n) => rank(n) === r).map((n) => join(dir, n)));
}
