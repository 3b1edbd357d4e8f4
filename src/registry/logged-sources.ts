import { errors } from '../errors.js';
import { modelFolder } from '../logged-models/location.js';
import * as logged from '../logged-models/repository.js';
import type { Client } from './repository.js';
import type { VersionSource } from './source-uri.js';
import { artifactsUnder } from './sources.js';

/**
 * Version sources that name MLflow 3 logged models, read as the run folders that hold their
 * files (src/logged-models/location.ts), so that a version made from one is read, served and
 * protected as a version made from a run's folder.
 */

/** A logged model's folder in its source run; a model logged outside a run has no files here, and says so. */
export async function loggedModelFolder(c: Client, s: Extract<VersionSource, { kind: 'logged' }>): Promise<VersionSource> {
  const model = await logged.findLive(c, s.modelId);
  if (!model || (s.experimentId !== null && s.experimentId !== String(model.projectId))) throw errors.loggedModelNotFound(s.modelId);
  if (!model.sourceRunId) return { kind: 'elsewhere', reason: `logged model ${model.id} was logged outside a run, and tagfusion keeps a logged model's files in the run that logged it` };
  return { kind: 'run', runId: model.sourceRunId, folder: modelFolder(model.id, s.path), experimentId: String(model.projectId) };
}

/**
 * `runs:/<run>/<name>` where the run holds no files under `<name>` but logged a model of that
 * name, as MLflow 3's `log_model(name=…)` does: the newest such model's folder. Any other folder
 * is returned as given.
 */
export async function runFolderOrModel(c: Client, runId: string, folder: string): Promise<string> {
  if (!folder || folder.includes('/') || (await artifactsUnder(c, runId, folder)).size) return folder;
  const model = await logged.newestOfRunNamed(c, runId, folder);
  return model ? modelFolder(model.id) : folder;
}
