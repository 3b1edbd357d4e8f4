import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { App } from '../app.js';
import { identify } from '../auth/transport.js';
import { requireRole, type Actor, type Role } from '../registry/actor.js';
import { BODY_LIMIT_BYTES } from '../server/limits.js';
import { sendMlflowError } from './errors.js';

/** What a handler gets: the request's fields (JSON body for POST/PATCH/DELETE, query for GET), the caller, the app. */
export interface MlflowCall {
  input: Record<string, unknown>;
  actor: Actor;
  app: App;
  req: Request;
  res: Response;
}

export type MlflowMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/**
 * One REST endpoint: its path under `/api/2.0/mlflow/` (or the prefix its router names), the
 * role it needs (reads: viewer; writes: editor; services check finer rules, such as protected
 * aliases needing admin), and a handler returning the JSON answer. `raw` handlers answer
 * themselves (artifact downloads and uploads stream).
 */
export interface MlflowRoute {
  method: MlflowMethod;
  path: string;
  role: Role;
  handler: (call: MlflowCall) => Promise<unknown>;
  raw?: boolean;
}

const parseJson = express.json({ limit: BODY_LIMIT_BYTES, type: () => true });

/**
 * Builds a router from a route table. The caller is identified before any body is read (a bad
 * token is 401 at once), then the role is checked, then the body parsed. Every error answers in
 * MLflow's shape (./errors.ts).
 */
export function mlflowRouter(app: App, routes: readonly MlflowRoute[]): Router {
  const router = express.Router();
  for (const route of routes) {
    const authorise: RequestHandler = (req, res, next) => {
      identify(app.services.auth, req.headers.authorization).then(({ actor, unauthenticated }) => {
        if (unauthenticated) return sendMlflowError(res.status(401).set('www-authenticate', 'Bearer'), unauthenticated, app.log);
        try {
          requireRole(actor, route.role, `${route.method} ${route.path}`);
        } catch (err) {
          return sendMlflowError(res, err, app.log);
        }
        res.locals.actor = actor;
        next();
      }, next);
    };
    const body: RequestHandler = route.raw || route.method === 'GET' ? (_req, _res, next) => next() : parseJson;
    const run: RequestHandler = (req, res) => {
      const input = (route.method === 'GET' ? req.query : (req.body ?? {})) as Record<string, unknown>;
      route.handler({ input, actor: res.locals.actor as Actor, app, req, res }).then(
        (answer) => {
          if (!route.raw && !res.headersSent) res.json(answer ?? {});
        },
        (err) => sendMlflowError(res, err, app.log),
      );
    };
    const on = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete' | 'put';
    router[on](route.path, authorise, body, run, (err: unknown, _req: Request, res: Response, _next: unknown) => sendMlflowError(res, err, app.log));
  }
  return router;
}
