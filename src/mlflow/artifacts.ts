import type { App } from '../app.js';
import { folderPath } from '../artifacts/paths.js';
import { sendArtifact, uploadBody } from '../artifacts/send.js';
import type { ArtifactScope } from '../artifacts/service.js';
import { isLoggedModelId, modelFolder } from '../logged-models/location.js';
import { findLive } from '../logged-models/repository.js';
import { invalidParameter, notFound } from './errors.js';
import type { MlflowCall, MlflowRoute } from './routes.js';

/**
 * MLflow's artifact proxy (`mlflow server --serve-artifacts`) over tagfusion's artifact store,
 * as the Python client's HttpArtifactRepository calls it for a run whose artifact_uri is
 * `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts`:
 * - `PUT  /api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts/<path>`: upload (body = file), `{}`;
 * - `GET  /api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts/<path>`: download, an attachment;
 * - `GET  /api/2.0/mlflow-artifacts/artifacts?path=<exp>/<run>/artifacts/<dir>`: the folder's
 *   entries `{"files": [{"path": <name>, "is_dir", "file_size"}]}` (`{}` when none, as protobuf's JSON);
 * - `DELETE /api/2.0/mlflow-artifacts/artifacts/<exp>/<run>/artifacts/<path>`: a file or folder, `{}`.
 * MLflow 3's logged models have the artifact location `mlflow-artifacts:/<exp>/models/<model_id>/artifacts`:
 * `<exp>/models/<model_id>/artifacts/<path>` is the file `models/<model_id>/<path>` of the model's
 * source run (src/logged-models/location.ts), under that run's rules.
 * Only run artifacts live here: a path of another shape is not found (reads) or refused (writes).
 */

interface RunLocation {
  runId: string;
  path: string;
  scope: ArtifactScope;
}

const RUN_FILES = /^(\d{1,10})\/([^/]+)\/artifacts(?:\/(.+))?$/;
const MODEL_FILES = /^(\d{1,10})\/models\/([^/]+)\/artifacts(?:\/(.+))?$/;

/**
 * Splits `<exp>/<run>/artifacts[/<path>]` or `<exp>/models/<model_id>/artifacts[/<path>]` after
 * the path rules have judged the whole of it (a `..` anywhere is refused first, whatever the
 * shape). A logged model of another experiment, deleted, or logged outside a run holds no files.
 */
async function locate(app: App, raw: string): Promise<RunLocation | null> {
  const whole = folderPath(raw);
  const model = MODEL_FILES.exec(whole);
  if (model) {
    const found = isLoggedModelId(model[2]) ? await findLive(app.db.prisma, model[2]) : null;
    if (!found?.sourceRunId || found.projectId !== Number(model[1])) return null;
    return { runId: found.sourceRunId, path: modelFolder(found.id, model[3]), scope: { projectId: found.projectId } };
  }
  const m = RUN_FILES.exec(whole);
  return m ? { runId: m[2], path: m[3] ?? '', scope: { projectId: Number(m[1]) } } : null;
}

const pathParam = (call: MlflowCall) => ((call.req.params as { path?: string[] }).path ?? []).join('/');

const WRITABLE = 'tagfusion stores artifacts of runs, and of logged models that a run logged: the path must be <experiment_id>/<run_id>/artifacts/<path> or <experiment_id>/models/<model_id>/artifacts/<path>.';

async function requireFile(app: App, raw: string, forWrite: boolean): Promise<RunLocation> {
  const where = await locate(app, raw);
  if (where?.path) return where;
  if (forWrite) throw invalidParameter(WRITABLE);
  throw notFound('No artifact at this path: tagfusion serves <experiment_id>/<run_id>/artifacts/<file path> and <experiment_id>/models/<model_id>/artifacts/<file path>.');
}

export const mlflowArtifactRoutes: readonly MlflowRoute[] = [
  {
    method: 'GET',
    path: '/artifacts',
    role: 'viewer',
    handler: async ({ input, app }) => {
      if (input.path !== undefined && typeof input.path !== 'string') throw invalidParameter("'path' must be given once, as a string.");
      const where = await locate(app, input.path ?? '');
      if (!where) return {};
      const entries = await app.services.artifacts.list(where.runId, where.path, where.scope);
      if (!entries.length) return {};
      return { files: entries.map((e) => (e.isDir ? { path: e.name, is_dir: true } : { path: e.name, is_dir: false, file_size: e.sizeBytes })) };
    },
  },
  {
    method: 'GET',
    path: '/artifacts/*path',
    role: 'viewer',
    raw: true,
    handler: async (call) => {
      const where = await requireFile(call.app, pathParam(call), false);
      await sendArtifact(call.res, await call.app.services.artifacts.open(where.runId, where.path, where.scope));
    },
  },
  {
    method: 'PUT',
    path: '/artifacts/*path',
    role: 'editor',
    raw: true,
    handler: async (call) => {
      const where = await requireFile(call.app, pathParam(call), true);
      await call.app.services.artifacts.upload(where.runId, where.path, uploadBody(call.req), where.scope);
      call.res.json({});
    },
  },
  {
    method: 'DELETE',
    path: '/artifacts/*path',
    role: 'editor',
    raw: true,
    handler: async (call) => {
      const where = await locate(call.app, pathParam(call));
      if (!where) throw invalidParameter(WRITABLE);
      await call.app.services.artifacts.delete(where.runId, where.path, where.scope);
      call.res.json({});
    },
  },
];
