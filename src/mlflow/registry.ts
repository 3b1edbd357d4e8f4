import * as models from './registry-models.js';
import * as stages from './registry-transitions.js';
import * as tags from './registry-tags.js';
import type { MlflowRoute } from './routes.js';
import * as versions from './registry-versions.js';

/**
 * The model registry's REST routes (model_registry.proto), under `/api/2.0/mlflow/`. Reads need
 * a viewer, changes an editor; the registry asks more where its rules do (an admin for a
 * protected alias, for renaming or deleting a model that holds one).
 */
export const registryRoutes: readonly MlflowRoute[] = [
  { method: 'POST', path: '/registered-models/create', role: 'editor', handler: models.createModel },
  { method: 'GET', path: '/registered-models/get', role: 'viewer', handler: models.getModel },
  { method: 'GET', path: '/registered-models/search', role: 'viewer', handler: models.searchModels },
  { method: 'POST', path: '/registered-models/rename', role: 'editor', handler: models.renameModel },
  { method: 'PATCH', path: '/registered-models/update', role: 'editor', handler: models.updateModel },
  { method: 'DELETE', path: '/registered-models/delete', role: 'editor', handler: models.deleteModel },
  { method: 'POST', path: '/registered-models/alias', role: 'editor', handler: models.setAlias },
  { method: 'DELETE', path: '/registered-models/alias', role: 'editor', handler: models.deleteAlias },
  { method: 'GET', path: '/registered-models/alias', role: 'viewer', handler: models.getVersionByAlias },
  { method: 'POST', path: '/registered-models/set-tag', role: 'editor', handler: tags.setModelTag },
  { method: 'DELETE', path: '/registered-models/delete-tag', role: 'editor', handler: tags.deleteModelTag },
  { method: 'POST', path: '/registered-models/get-latest-versions', role: 'viewer', handler: stages.getLatestVersions },
  { method: 'GET', path: '/registered-models/get-latest-versions', role: 'viewer', handler: stages.getLatestVersions },
  { method: 'POST', path: '/model-versions/transition-stage', role: 'editor', handler: stages.transitionStage },
  { method: 'POST', path: '/model-versions/create', role: 'editor', handler: versions.createVersion },
  { method: 'GET', path: '/model-versions/get', role: 'viewer', handler: versions.getVersion },
  { method: 'GET', path: '/model-versions/search', role: 'viewer', handler: versions.searchVersions },
  { method: 'PATCH', path: '/model-versions/update', role: 'editor', handler: versions.updateVersion },
  { method: 'DELETE', path: '/model-versions/delete', role: 'editor', handler: versions.deleteVersion },
  { method: 'GET', path: '/model-versions/get-download-uri', role: 'viewer', handler: versions.downloadUri },
  { method: 'POST', path: '/model-versions/set-tag', role: 'editor', handler: tags.setVersionTag },
  { method: 'DELETE', path: '/model-versions/delete-tag', role: 'editor', handler: tags.deleteVersionTag },
];
