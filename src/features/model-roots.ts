import { join } from 'node:path';
import type { Config } from '../config.js';
import { confinedPath } from '../datasets/paths.js';
import { errors, isAppError } from '../errors.js';
import type { EncoderSpec } from '../ml/encoders/registry.js';

/**
 * Folders an encoder's `path` may name: TAGFUSION_MODEL_ROOTS when set, else the data folder's
 * `models/`. Encoders load whatever the folder holds (an ONNX graph, a vocabulary, weights), so a
 * caller who could name any folder could make the server read any file it can.
 */
export function modelRoots(config: Pick<Config, 'modelRoots' | 'dataDir'>): string[] {
  return config.modelRoots ?? [join(config.dataDir, 'models')];
}

/**
 * The spec with its `path` replaced by the real path it names, which must lie under one of
 * `roots` once `..` and symbolic links are resolved (see confinedPath): PATH_NOT_ALLOWED or
 * PATH_NOT_FOUND naming `field` otherwise. The job then loads exactly the folder checked here.
 */
export async function confineEncoderSpec<T extends EncoderSpec>(spec: T, field: string, roots: string[]): Promise<T> {
  if (!spec.path) return spec;
  const path = spec.path;
  try {
    // A folder, or for `onnx` the .onnx file itself.
    const real = await confinedPath(field, path, 'dir', roots).catch((err: unknown) => {
      if (isAppError(err) && err.code === 'PATH_NOT_FOUND') return confinedPath(field, path, 'file', roots);
      throw err;
    });
    return { ...spec, path: real };
  } catch (err) {
    if (isAppError(err) && err.code === 'PATH_NOT_ALLOWED') throw errors.pathNotAllowed(field, path, 'its model roots: see TAGFUSION_MODEL_ROOTS');
    throw err;
  }
}
