/**
 * Fetches a Hugging Face hub repository's files into a local cache folder, once, so that
 * encoders load them like any local model folder. Layout: `<cacheDir>/<owner>--<name>` (the
 * layout bert.ts uses), with `@<revision>` appended for revisions other than main, plus a
 * manifest recording which files the hub had and which it lacked, so that a later call with the
 * same wants makes no request at all.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { threadId } from 'node:worker_threads';

export interface HubOptions {
  /** branch, tag or commit; default "main" */
  revision?: string;
  /** hub address; default $HF_ENDPOINT or https://huggingface.co */
  hubEndpoint?: string;
  /** where downloads are kept; default $TAGFUSION_MODEL_CACHE or ~/.cache/tagfusion/hub */
  cacheDir?: string;
  /** token for gated or private repositories; default $HF_TOKEN */
  token?: string;
}

/** What to fetch. */
export interface HubFiles {
  /** each entry a file, or alternatives of which the first one the hub has is taken */
  required: (string | string[])[];
  /** fetched when the hub has them; their absence is remembered, not an error */
  optional?: string[];
}

interface Manifest {
  hubId: string;
  revision: string;
  present: string[];
  absent: string[];
}

const MANIFEST = '.tagfusion-hub.json';

/** The cache folder of a repository at a revision (whether or not it exists yet). */
export function hubFolder(hubId: string, options: HubOptions = {}): string {
  checkHubId(hubId);
  const revision = options.revision ?? 'main';
  const root = options.cacheDir ?? process.env.TAGFUSION_MODEL_CACHE ?? join(homedir(), '.cache', 'tagfusion', 'hub');
  const name = hubId.replace('/', '--') + (revision === 'main' ? '' : `@${revision.replace(/[^\w.-]/g, '_')}`);
  return join(root, name);
}

/**
 * Makes sure the cache folder holds the wanted files of `hubId`, downloading those not yet
 * known, and returns the folder. With $HF_HUB_OFFLINE=1 it only reads the cache.
 */
export async function downloadHubFiles(hubId: string, files: HubFiles, options: HubOptions = {}): Promise<string> {
  const folder = hubFolder(hubId, options);
  const revision = options.revision ?? 'main';
  const endpoint = (options.hubEndpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  const token = options.token ?? process.env.HF_TOKEN;
  const offline = process.env.HF_HUB_OFFLINE === '1';
  const manifest = readManifest(folder) ?? { hubId, revision, present: [], absent: [] };
  let changed = false;

  /** true when the file is (now) in the folder; false when the hub lacks it. */
  const ensure = async (file: string): Promise<boolean> => {
    checkFileName(file);
    if (manifest.present.includes(file) && existsSync(join(folder, file))) return true;
    if (manifest.absent.includes(file)) return false;
    if (offline) throw new Error(`hub ${hubId}: ${file} is not in the cache ${folder} and HF_HUB_OFFLINE=1`);
    const found = await download(`${endpoint}/${hubId}/resolve/${encodeURIComponent(revision)}/${file}`, join(folder, file), token, hubId);
    (found ? manifest.present : manifest.absent).push(file);
    changed = true;
    return found;
  };

  try {
    for (const want of files.required) {
      const alternatives = Array.isArray(want) ? want : [want];
      let found = false;
      for (const file of alternatives) if ((found = await ensure(file))) break;
      if (!found) {
        throw new Error(`hub ${hubId} (revision ${revision}) has none of ${alternatives.join(', ')} (asked ${endpoint}; cache ${folder})`);
      }
    }
    for (const file of files.optional ?? []) await ensure(file);
  } finally {
    // Remembered even after a failure, so that a retry does not ask again for what the hub lacks.
    if (changed) writeAtomically(join(folder, MANIFEST), JSON.stringify(manifest, null, 2));
  }
  return folder;
}

/** Streams `url` into `target` through a temporary name; false on 404. */
async function download(url: string, target: string, token: string | undefined, hubId: string): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new Error(`cannot download ${url} (${cause}); offline? Put the model files in a folder and give its path instead of hubId`);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return false;
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    // The hub answers 401 for repositories that do not exist, as for private ones.
    throw new Error(`hub ${hubId}: ${url} answered ${response.status}: no such repository, or it is gated or private (set HF_TOKEN)`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`hub ${hubId}: ${url} answered ${response.status} ${response.statusText}`);
  }
  mkdirSync(dirname(target), { recursive: true });
  // A name of its own per process and thread: two workers may fetch the same file at once, and
  // an interrupted download must never look like a cached file.
  const part = `${target}.${process.pid}-${threadId}.part`;
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(part));
    renameSync(part, target);
  } catch (error) {
    rmSync(part, { force: true });
    throw new Error(`hub ${hubId}: download of ${url} failed: ${(error as Error).message}`);
  }
  return true;
}

function readManifest(folder: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const part = `${path}.${process.pid}-${threadId}.part`;
  writeFileSync(part, text);
  renameSync(part, path);
}

/** "owner/name" or "name": letters, digits, '-', '_', '.', never '..' (the id becomes a folder name). */
function checkHubId(hubId: string): void {
  if (!/^[\w][\w.-]*(\/[\w][\w.-]*)?$/.test(hubId) || hubId.includes('..')) {
    throw new Error(`invalid Hugging Face hub id "${hubId}"; expected owner/name`);
  }
}

function checkFileName(file: string): void {
  if (isAbsolute(file) || file.split(/[\\/]/).some((p) => p === '..' || p === '') || file === MANIFEST) {
    throw new Error(`invalid repository file name "${file}"`);
  }
}
