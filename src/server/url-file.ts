import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidExists } from '../db/data-dir-lock.js';

/**
 * Beside the data folder's lock, a running `tagfusion serve` leaves the URL of its GraphQL API,
 * so that a CLI started on the same folder sends its commands there instead of failing on the
 * lock (src/cli/remote). The file names the server's pid: one left by a crash (no process, or
 * another program with a reused pid that answers no GraphQL) is ignored or fails to connect.
 * Only fs here (and the lock's pid check): the CLI reads it before deciding whether to load the whole app.
 */
const FILE = 'tagfusion.url';

interface Advert {
  url: string;
  pid: number;
}

/** Writes the file; the returned function removes it (at shutdown) if it is still this process's. */
export function advertiseServerUrl(dataDir: string, url: string): () => void {
  const path = join(dataDir, FILE);
  // A server on every interface is reached on loopback from this machine.
  const reachable = url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  writeFileSync(path, JSON.stringify({ url: reachable, pid: process.pid } satisfies Advert) + '\n');
  return () => {
    if (readAdvert(path)?.pid === process.pid) rmSync(path, { force: true });
  };
}

/** The URL a live server on this data folder advertised, or undefined. */
export function advertisedServerUrl(dataDir: string): string | undefined {
  const advert = readAdvert(join(dataDir, FILE));
  return advert && advert.pid !== process.pid && pidExists(advert.pid) ? advert.url : undefined;
}

function readAdvert(path: string): Advert | undefined {
  try {
    const a = JSON.parse(readFileSync(path, 'utf8')) as Advert;
    return typeof a.url === 'string' && Number.isInteger(a.pid) ? a : undefined;
  } catch {
    return undefined;
  }
}
