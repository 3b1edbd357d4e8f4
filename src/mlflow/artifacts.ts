import { folderPath } from '../artifacts/paths.js';
import { sendArtifact, uploadBody } from '../artifacts/send.js';
import type { ArtifactScope } from '../artifacts/service.js';
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
 * Only run artifacts live here: a path of another shape is not found (reads) or refused (writes).
 */

interface RunLocation {
  runId: string;
  path: string;
  scope: ArtifactScope;
}

/**
 * Splits `<exp>/<run>/artifacts[/<path>]` after the path rules have judged the whole of it
 * (a `..` anywhere is refused first, whatever the shape).
 */
function locate(raw: string): RunLocation | null {
  const whole = folderPath(raw);
  const m = /^(\d{1,10})\/([^/]+)\/artifacts(?:\/(.+))?$/.exec(whole);
  return m ? { runId: m[2], path: m[3] ?? '', scope: { projectId: Number(m[1]) } } : null;
}

const pathParam = (call: MlflowCall) => ((call.req.params as { path?: string[] }).path ?? []).join('/');

function requireFile(raw: string, forWrite: boolean): RunLocation {
  const where = locate(raw);
  if (where?.path) return where;
  if (forWrite) throw invalidParameter('tagfusion stores artifacts of runs only: the path must be <experiment_id>/<run_id>/artifacts/<file path>.');
  throw notFound('No artifact at this path: tagfusion serves <experiment_id>/<run_id>/artifacts/<file path>.');
}

export const mlflowArtifactRoutes: readonly MlflowRoute[] = [
  {
    method: 'GET',
    path: '/artifacts',
    role: 'viewer',
    handler: async ({ input, app }) => {
      if (input.path !== undefined && typeof input.path !== 'string') throw invalidParameter("'path' must be given once, as a string.");
      const where = locate(input.path ?? '');
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
      const where = requireFile(pathParam(call), false);
      await sendArtifact(call.res, await call.app.services.artifacts.open(where.runId, where.path, where.scope));
    },
  },
  {
    method: 'PUT',
    path: '/artifacts/*path',
    role: 'editor',
    raw: true,
    handler: async (call) => {
      const where = requireFile(pathParam(call), true);
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
      const where = locate(pathParam(call));
      if (!where) throw invalidParameter('tagfusion stores artifacts of runs only: the path must be <experiment_id>/<run_id>/artifacts[/<path>].');
      await call.app.services.artifacts.delete(where.runId, where.path, where.scope);
      call.res.json({});
    },
  },
];
