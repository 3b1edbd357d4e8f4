import { join } from 'node:path';
import type { Database } from '../db/database.js';
import { errors } from '../errors.js';
import { filesUnder } from './listing.js';
import { folderPath, runIdOf } from './paths.js';
import * as repo from './repository.js';
import { ensureLocal } from './store.js';

/** Where an artifact folder lies: a run (UUID) and a folder inside it ('' for its root). */
export interface ArtifactSource {
  runId: string;
  path: string;
  /** set for `mlflow-artifacts:` sources, which name the run's experiment too */
  projectId?: number;
}

/**
 * Parses the two ways MLflow names a run's artifact folder: `runs:/<run_id>/<path>` and
 * `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/<path>` (also with an authority,
 * `mlflow-artifacts://host:port/…`, as an artifact_uri may carry). Run ids in either spelling.
 */
export function parseArtifactSource(source: unknown, field = 'source'): ArtifactSource {
  const bad = (why: string) => errors.badInput(`${field}: ${why}`, { field });
  if (typeof source !== 'string' || !source) throw bad('must be runs:/<run_id>/<path> or mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/<path>');
  if (source.length > 2_048 || source.includes('\u0000')) throw bad('is not an artifact location');
  const runs = /^runs:\/([^/]+)(?:\/(.*))?$/.exec(source);
  if (runs) return { runId: runIdOf(runs[1], field), path: folderPath(runs[2], field) };
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(\d{1,10})\/([^/]+)\/artifacts(?:\/(.*))?$/.exec(source);
  if (proxied) return { projectId: Number(proxied[1]), runId: runIdOf(proxied[2], field), path: folderPath(proxied[3], field) };
  throw bad('must be runs:/<run_id>/<path> or mlflow-artifacts:/<experiment_id>/<run_id>/artifacts/<path>');
}

/** An artifact folder on this machine: where it is, and what it holds as recorded. */
export interface LocalArtifactFolder {
  runId: string;
  projectId: number;
  /** inside the run ('' for its root) */
  path: string;
  /** absolute path of the folder on this machine; every file listed is there */
  dir: string;
  /** paths relative to `dir`, sorted, with the size and sha256 recorded at upload */
  files: { path: string; sizeBytes: number; sha256: string }[];
}

/**
 * Resolves an artifact folder of a run (`runs:/…` or `mlflow-artifacts:/…`) to a folder on this
 * machine, downloading files from the bucket where this machine lacks them, with its recorded
 * file list and checksums: what a model version made from a folder is built on. RUN_NOT_FOUND
 * for an unknown run (or one of another experiment), ARTIFACT_NOT_FOUND for a folder without
 * files, BAD_INPUT for a location that names a file.
 */
export async function resolveArtifactFolder(db: Database, root: string, source: unknown): Promise<LocalArtifactFolder> {
  const where = parseArtifactSource(source);
  const run = await repo.findRun(db.prisma, where.runId);
  if (!run || (where.projectId !== undefined && run.projectId !== where.projectId)) throw errors.runNotFound(where.runId);
  if (where.path && (await repo.rowAt(db.prisma, run.id, `${run.id}/${where.path}`))) {
    throw errors.badInput(`source: names a file of run ${run.id}; give the folder that holds the model`, { field: 'source' });
  }
  const files = filesUnder(await repo.rowsUnder(db.prisma, run.id, `${run.id}/${where.path ? `${where.path}/` : ''}`), run.id, where.path);
  if (!files.length) throw errors.artifactNotFound(run.id, where.path ? `${where.path}/` : '(root folder)');
  await ensureLocal(root, files.map((f) => f.uri));
  return {
    runId: run.id,
    projectId: run.projectId,
    path: where.path,
    dir: join(root, run.id, ...(where.path ? where.path.split('/') : [])),
    files: files.map(({ path, sizeBytes, sha256 }) => ({ path, sizeBytes, sha256 })),
  };
}
