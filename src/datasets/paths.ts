import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { Config } from '../config.js';
import { errors } from '../errors.js';
import { projectRoot } from '../paths.js';

/**
 * Folders a server's imports may read a caption file or an image folder from:
 * TAGFUSION_DATA_ROOTS when set (the whole list), else the data folder and the `shared` folder
 * beside the checkout, where the sample datasets ship. Never, by default, the working directory
 * or the OS temporary folder: an editor could then import any file there (another user's
 * download, a server's configuration) through a server they can reach.
 */
export function importRoots(config: Pick<Config, 'dataRoots' | 'dataDir'>): string[] {
  if (config.dataRoots) return config.dataRoots;
  const shared = join(projectRoot, '..', 'shared');
  return [config.dataDir, ...(existsSync(shared) ? [resolve(shared)] : [])];
}

/**
 * The roots of `tagfusion import`, which works its job in its own process for the user at the
 * shell: the server's, plus the working directory (`tagfusion import ./file.csv`) and the OS
 * temporary folder (downloads land there), unless TAGFUSION_DATA_ROOTS says otherwise.
 */
export function cliImportRoots(config: Pick<Config, 'dataRoots' | 'dataDir'>): string[] {
  return config.dataRoots ?? [...importRoots(config), process.cwd(), tmpdir()];
}

const inside = (p: string, roots: string[]) => roots.some((r) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep));

/**
 * The real path of a file (`kind` 'file': anything but a folder) or folder ('dir') under one of
 * `roots`. A path typed under a root (`..` resolved away) must also lie under one once symbolic
 * links are resolved, so that a link inside a root cannot lead out of it. A path typed elsewhere
 * is accepted when its real path lies under a root's real path: a folder reached through a link
 * (imports store real paths, users type the link); a missing one is then PATH_NOT_ALLOWED, never
 * PATH_NOT_FOUND, so that nothing is told about what exists outside. Throws PATH_NOT_ALLOWED or
 * PATH_NOT_FOUND, naming `what`.
 */
export async function confinedPath(what: string, path: string, kind: 'file' | 'dir', roots: string[]): Promise<string> {
  const absolute = resolve(path);
  const realRoots = (await Promise.all(roots.map((r) => realpath(r).catch(() => undefined)))).filter((r): r is string => Boolean(r));
  const typedInside = inside(absolute, roots.map((r) => resolve(r))) || inside(absolute, realRoots);
  const real = await realpath(absolute).catch(() => undefined);
  if (!typedInside && !(real && inside(real, realRoots))) throw errors.pathNotAllowed(what, path);
  if (!real) throw errors.pathNotFound(what, path);
  if (!inside(real, realRoots)) throw errors.pathNotAllowed(what, path);
  // A named pipe or device passes as a 'file' here (stat does not open it): its reader refuses
  // it on the opened descriptor (util/read-file.ts), which also catches a swap after this check,
  // and says why.
  const info = await stat(real).catch(() => undefined);
  if (!(kind === 'file' ? info && !info.isDirectory() : info?.isDirectory())) throw errors.pathNotFound(what, path);
  return real;
}
