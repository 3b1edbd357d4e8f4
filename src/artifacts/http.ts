import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { App } from '../app.js';
import { identify } from '../auth/transport.js';
import { errors, isAppError } from '../errors.js';
import { requireRole, type Role } from '../registry/actor.js';
import { sendArtifact, uploadBody } from './send.js';

/** HTTP status of each catalogue error these routes raise; any other catalogue error is 400. */
const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  RUN_NOT_FOUND: 404,
  ARTIFACT_NOT_FOUND: 404,
  CONFLICT: 409,
  RUN_DELETED: 409,
  PROJECT_DELETED: 409,
  RUN_REGISTERED: 409,
  ARTIFACT_TOO_LARGE: 413,
  STORE_UNAVAILABLE: 503,
  ARTIFACT_WRITE_FAILED: 507,
};

type Handler = (req: Request<{ id: string; path?: string[] }>, res: Response) => Promise<unknown>;

/** `*path` in Express 5 gives the decoded segments; the path rules judge the joined path. */
const pathOf = (req: Request<{ path?: string[] }>) => (req.params.path ?? []).join('/');

/**
 * tagfusion's own artifact routes, beside GraphQL, with the same tokens and roles:
 * - `GET /runs/:id/artifacts?path=dir`: the listing of a folder (`{ files: [...] }`);
 * - `GET /runs/:id/artifacts/<path>`: a file, streamed (a folder: its listing);
 * - `PUT /runs/:id/artifacts/<path>`: uploads the body (editor), answering the file's entry;
 * - `DELETE /runs/:id/artifacts/<path>`: deletes a file or a folder (editor).
 * The caller is identified and their role checked before a byte of the body is read. Catalogue
 * errors answer `{ error: { code, message } }`; anything else is masked by the server's handler.
 */
export function runArtifactRoutes(app: App): Router {
  const artifacts = app.services.artifacts;
  const router = express.Router();
  const route = (role: Role, handler: Handler) => (req: Request<{ id: string; path?: string[] }>, res: Response, next: NextFunction) => {
    identify(app.services.auth, req.headers.authorization)
      .then(async ({ actor, unauthenticated }) => {
        if (unauthenticated) {
          res.set('www-authenticate', 'Bearer');
          throw unauthenticated;
        }
        requireRole(actor, role, `${req.method} ${req.baseUrl}${req.route?.path ?? ''}`);
        await handler(req, res);
      })
      .catch((err: unknown) => {
        if (!isAppError(err)) return next(err);
        if (res.headersSent) return void res.destroy();
        res.status(STATUS[err.code] ?? 400).json({ error: { code: err.code, message: err.message } });
      });
  };

  router.get(
    '/runs/:id/artifacts',
    route('viewer', async (req, res) => void res.json({ files: await artifacts.list(req.params.id, req.query.path) })),
  );
  router.get(
    '/runs/:id/artifacts/*path',
    route('viewer', async (req, res) => {
      const path = pathOf(req);
      if ((await artifacts.stat(req.params.id, path)) === 'folder') return void res.json({ files: await artifacts.list(req.params.id, path) });
      await sendArtifact(res, await artifacts.open(req.params.id, path));
    }),
  );
  router.put(
    '/runs/:id/artifacts/*path',
    route('editor', async (req, res) => void res.json(await artifacts.upload(req.params.id, pathOf(req), uploadBody(req)))),
  );
  router.delete(
    '/runs/:id/artifacts/*path',
    route('editor', async (req, res) => {
      const deleted = await artifacts.delete(req.params.id, pathOf(req));
      if (!deleted) throw errors.artifactNotFound(req.params.id, pathOf(req));
      res.json({ deleted });
    }),
  );
  return router;
}
