import { randomUUID } from 'node:crypto';

/**
 * Where an MLflow 3 logged model's files live. MLflow's server gives a logged model the artifact
 * location `mlflow-artifacts:/<experiment_id>/models/<model_id>/artifacts`; tagfusion keeps those
 * files in the artifact tree of the model's source run, at `models/<model_id>/<path>`, so that
 * they show among the run's files, obey its rules (a deleted or registered run takes no writes)
 * and are collected with it. A model logged outside any run has nowhere to keep files: it holds
 * metadata only, and an upload to it is refused.
 */

/** MLflow's model id: `m-` and 32 hex digits (a UUID without dashes). */
const MODEL_ID = /^m-[0-9a-f]{32}$/;

export const isLoggedModelId = (id: string) => MODEL_ID.test(id);

export const newLoggedModelId = () => `m-${randomUUID().replace(/-/g, '')}`;

/** The folder of the source run that holds the model's files. */
export const modelFolder = (modelId: string, path = '') => `models/${modelId}${path ? `/${path}` : ''}`;

/** The model's artifact location, as MLflow's server with --serve-artifacts writes it. */
export const loggedModelUri = (projectId: number, modelId: string) => `mlflow-artifacts:/${projectId}/models/${modelId}/artifacts`;

/**
 * The logged model a model-version source names: `models:/m-<id>` (what `mlflow.register_model`
 * sends for a logged model) or the model's artifact location `mlflow-artifacts:/<exp>/models/<id>/artifacts[/<path>]`
 * (with or without a `//host:port`); null for any other source.
 */
export function loggedModelSource(source: string): { modelId: string; experimentId: string | null; path: string } | null {
  const models = /^models:\/(m-[0-9a-f]{32})\/?$/.exec(source);
  if (models) return { modelId: models[1], experimentId: null, path: '' };
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/([^/]+)\/models\/(m-[0-9a-f]{32})\/artifacts(?:\/(.*))?$/.exec(source);
  if (proxied) return { modelId: proxied[2], experimentId: proxied[1], path: (proxied[3] ?? '').replace(/\/+$/, '') };
  return null;
}
