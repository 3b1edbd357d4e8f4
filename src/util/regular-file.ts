import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/** Why a path cannot be read as a file, in words safe to show (no path, no content). */
export class NotARegularFile extends Error {
  override name = 'NotARegularFile';
  constructor(
    readonly reason: 'missing' | 'special' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

function kind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'a special file';
}

/**
 * Opens a path for reading only if it is a regular file of at most `maxBytes`, judged on the
 * opened descriptor (so a swap between the check and the read changes nothing). O_NONBLOCK
 * matters: opening a named pipe with no writer blocks forever, and it would block one of
 * libuv's four file-system threads with it, then every file read of the process. On a regular
 * file the flag has no effect. The caller closes the handle.
 */
export async function openRegularFile(path: string, maxBytes = Number.MAX_SAFE_INTEGER): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NotARegularFile('missing', code === 'EACCES' ? 'cannot be read (permission denied)' : 'does not exist or cannot be opened');
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new NotARegularFile('special', `is ${kind(stats)}, not a regular file`);
    if (stats.size > maxBytes) throw new NotARegularFile('too-large', `is ${stats.size} bytes, over the limit of ${maxBytes}`);
    return { handle, size: stats.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}
