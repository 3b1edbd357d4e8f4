import express, { type RequestHandler, type Router } from 'express';
import type { App } from '../app.js';
import { mlflowArtifactRoutes } from './artifacts.js';
import { registryRoutes } from './registry.js';
import { mlflowRouter, type MlflowRoute } from './routes.js';
import { trackingRoutes } from './tracking.js';

/**
 * Every MLflow REST route, in one table per part, so that a test can list them all and check
 * the role each needs: tracking (experiments, runs, metrics), the model registry, artifacts.
 */
export const MLFLOW_ROUTES: { prefix: string; routes: readonly MlflowRoute[] }[] = [
  { prefix: 'mlflow-artifacts', routes: mlflowArtifactRoutes },
  { prefix: 'mlflow', routes: trackingRoutes },
  { prefix: 'mlflow', routes: registryRoutes },
];

/**
 * MLflow's REST API over tagfusion's own tables: `/api/2.0/mlflow/…` as its clients call it,
 * `/ajax-api/2.0/mlflow/…` as its web UI does, and the artifact proxy `/api/2.0/mlflow-artifacts/…`.
 */
export function mlflowRoutes(app: App): Router {
  const router = express.Router();
  for (const { prefix, routes } of MLFLOW_ROUTES) {
    const part = mlflowRouter(app, routes);
    router.use(`/api/2.0/${prefix}`, part);
    router.use(`/ajax-api/2.0/${prefix}`, part);
  }
  // A path no part answers is MLflow's JSON 404, not Express's HTML page.
  for (const prefix of new Set(MLFLOW_ROUTES.map((r) => r.prefix))) {
    const unknown: RequestHandler = (req, res) => void res.status(404).json({ error_code: 'ENDPOINT_NOT_FOUND', message: `No MLflow endpoint ${req.method} ${req.baseUrl}${req.path}.` });
    router.use(`/api/2.0/${prefix}`, unknown);
    router.use(`/ajax-api/2.0/${prefix}`, unknown);
  }
  return router;
}
