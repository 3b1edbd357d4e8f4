import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAppError } from '../errors.js';
import { localArtifact } from '../training/artifact.js';
import type { StoredFile } from './repository.js';

/** Why a stored file cannot be used, safe for users: names the file inside its folder, never a server path. */
export class FileProblem extends Error {}

/**
 * The bytes of a stored artifact file, local or fetched from the bucket, refused when they differ
 * from the checksum recorded on upload: a changed file would serve other weights (or another
 * vocabulary) under the same version.
 */
export async function verifiedBytes(artifactRoot: string, file: Pick<StoredFile, 'uri' | 'checksum'>, shownAs: string): Promise<Buffer> {
  const path = await localArtifact(artifactRoot, file.uri).catch((err) => {
    if (isAppError(err) && err.code === 'STORE_OBJECT_MISSING') return undefined;
    throw err;
  });
  const bytes = path && (await readFile(path).catch(() => undefined));
  if (!bytes) throw new FileProblem(`its ${shownAs} is missing from the artifact store`);
  if (createHash('sha256').update(bytes).digest('hex') !== file.checksum) throw new FileProblem(`its ${shownAs} has changed since it was uploaded (checksum differs)`);
  return bytes;
}
