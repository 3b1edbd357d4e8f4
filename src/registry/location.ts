import type { ModelVersion } from '../db/generated/client.js';
import type { Client } from './repository.js';
import { loggedModelUri } from '../logged-models/location.js';
import { runFolderOrModel } from './logged-sources.js';
import { folderUri, parseSource } from './source-uri.js';
import { runForFolder } from './sources.js';

/**
 * Where a version's files can be downloaded (MLflow's get-download-uri): the run folder it was
 * made from as the artifact proxy's URI (`runs:/…` resolved as MLflow's store resolves it), the
 * run's artifact root for a tagfusion head, an MLflow 3 logged model's artifact location, or any
 * other source as registered.
 */
export async function versionLocation(c: Client, v: ModelVersion): Promise<string | null> {
  const source = v.source ? parseSource(v.source) : null;
  if (source?.kind === 'elsewhere') return v.source;
  const run = v.runId ? await runForFolder(c, v.runId) : null;
  if (!run) return v.source;
  if (source?.kind === 'logged') return `${loggedModelUri(run.projectId, source.modelId)}${source.path ? `/${source.path}` : ''}`;
  return folderUri(run.projectId, run.id, source?.kind === 'run' ? await runFolderOrModel(c, run.id, source.folder) : '');
}
