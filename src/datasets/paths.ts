import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Config } from '../config.js';
import { errors } from '../errors.js';
import { projectRoot } from '../paths.js';

/**
 * Folders an import may read a caption file or an image folder from. TAGFUSION_DATA_ROOTS, when
 * set, is the whole list. Otherwise: the data folder, the working directory (where a user runs
 * `tagfusion import ./file.csv`), the OS temporary folder (downloads and tests land there) and
 * the `shared` folder beside the checkout, where the sample datasets ship. A server exposed
 * beyond localhost should set TAGFUSION_DATA_ROOTS to the dataset folders alone.
 */
export function importRoots(config: Pick<Config, 'dataRoots' | 'dataDir'>): string[] {
  if (config.dataRoots) return config.dataRoots;
  const shared = join(projectRoot, '..', 'shared');
  return [config.dataDir, process.cwd(), tmpdir(), ...(existsSync(shared) ? [resolve(shared)] : [])];
}

const inside = (p: string, roots: string[]) => roots.some((r) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep));

/**
 * The real path of a file (`kind` 'file') or folder ('dir') under one of `roots`. The lexical
 * check comes first, so that nothing outside the roots is even looked at (`..` is resolved
 * away before it); the real path is checked again, so that a symbolic link inside a root
 * cannot lead out of it. Throws PATH_NOT_ALLOWED or PATH_NOT_FOUND, naming `what`.
 */
export async function confinedPath(what: string, path: string, kind: 'file' | 'dir', roots: string[]): Promise<string> {
  const absolute = resolve(path);
  const realRoots = (await Promise.all(roots.map((r) => realpath(r).catch(() => undefined)))).filter((r): r is string => Boolean(r));
  if (!inside(absolute, roots.map((r) => resolve(r))) && !inside(absolute, realRoots)) throw errors.pathNotAllowed(what, path);
  const real = await realpath(absolute).catch(() => undefined);
  if (!real) throw errors.pathNotFound(what, path);
  if (!inside(real, realRoots)) throw errors.pathNotAllowed(what, path);
  const info = await stat(real).catch(() => undefined);
  if (!(kind === 'file' ? info?.isFile() : info?.isDirectory())) throw errors.pathNotFound(what, path);
  return real;
}
