import { experimentRoutes } from './experiments.js';
import { loggedModelRoutes } from './logged-models.js';
import type { MlflowRoute } from './routes.js';
import { runRoutes } from './runs.js';
import { loggingRoutes } from './runs-logging.js';

/** MLflow's tracking API (service.proto's MlflowService: experiments, runs, metrics, MLflow 3's logged models) under `/api/2.0/mlflow/`. */
export const trackingRoutes: readonly MlflowRoute[] = [...experimentRoutes, ...runRoutes, ...loggingRoutes, ...loggedModelRoutes];
