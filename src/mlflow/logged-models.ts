import type { App } from '../app.js';
import { errors } from '../errors.js';
import { isLoggedModelId, newLoggedModelId } from '../logged-models/location.js';
import * as repo from '../logged-models/repository.js';
import { invalidParameter, notFound } from './errors.js';
import { keyValues, LOGGED_MODEL_STATUSES, loggedModelJson } from './logged-model-shapes.js';
import { meets, parseFilter, type Condition } from './registry-search.js';
import type { MlflowCall, MlflowRoute } from './routes.js';
import { generatedRunName } from './run-names.js';
import { TAG_USER } from './run-tags.js';
import { decodePageToken, encodePageToken, enumField, experimentIdsOf, hexRunId, maxResults, messages, optionalInt64, optionalString, requiredString, runIdOf, type Fields } from './tracking-input.js';

/**
 * MLflow 3's LoggedModel API (service.proto: createLoggedModel, getLoggedModel,
 * finalizeLoggedModel, deleteLoggedModel, searchLoggedModels, setLoggedModelTags,
 * deleteLoggedModelTag, logLoggedModelParams) and `runs/log-outputs`, as
 * `mlflow.<flavor>.log_model` and `mlflow.register_model` call them. The model's files go
 * through the artifact proxy (./artifacts.ts) into its source run (src/logged-models/location.ts).
 * A deleted model is gone for every call, as in MLflow's stores.
 */

/** MLflow's SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT, and the most a page may hold. */
const SEARCH_PAGE = 100;
const SEARCH_MAX = 10_000;

const modelIdParam = (call: MlflowCall) => (call.req.params as { model_id?: string }).model_id ?? '';

/** The live model the path names; RESOURCE_DOES_NOT_EXIST otherwise (a malformed id names none). */
async function live(app: App, id: string) {
  const model = isLoggedModelId(id) ? await repo.findLive(app.db.prisma, id) : null;
  if (!model) throw errors.loggedModelNotFound(isLoggedModelId(id) ? id : '(malformed id)');
  return model;
}

const answer = (model: repo.LoggedModel) => ({ model: loggedModelJson(model) });

/**
 * A model starts PENDING in an active experiment; its source run, when named, must be a live run
 * of that experiment (its files go into that run). mlflow.user is the caller's token, as for runs.
 */
async function createModel({ app, input, actor }: MlflowCall) {
  const project = await app.services.projects.getActive(requiredString(input, 'experiment_id'));
  let sourceRunId: string | null = null;
  if (optionalString(input, 'source_run_id')) {
    const run = await app.services.runs.get(runIdOf(input, 'source_run_id'));
    if (run.deletedAt) throw errors.runDeleted(run.id);
    if (run.projectId !== project.id) throw invalidParameter(`The source run belongs to experiment ${run.projectId}, not ${project.id}.`);
    sourceRunId = run.id;
  }
  const tags = keyValues(input, 'tags');
  if (TAG_USER in tags) tags[TAG_USER] = actor.name;
  const model = await repo.create(app.db.prisma, {
    id: newLoggedModelId(),
    projectId: project.id,
    sourceRunId,
    name: optionalString(input, 'name') || generatedRunName(),
    modelType: optionalString(input, 'model_type') || null,
    params: keyValues(input, 'params'),
    tags,
  });
  return answer(model);
}

async function finalizeModel(call: MlflowCall) {
  const model = await live(call.app, modelIdParam(call));
  requiredString(call.input, 'status');
  const status = enumField(call.input, 'status', LOGGED_MODEL_STATUSES, 'LOGGED_MODEL_READY');
  return answer(await repo.update(call.app.db.prisma, model.id, { status }));
}

async function setTags(call: MlflowCall) {
  const model = await live(call.app, modelIdParam(call));
  const tags = keyValues(call.input, 'tags');
  if (TAG_USER in tags) throw invalidParameter(`The tag ${TAG_USER} is set by the server from the caller's token and cannot be changed.`);
  await repo.update(call.app.db.prisma, model.id, { tags: { ...(model.tags as Record<string, string>), ...tags } });
  return {};
}

async function deleteTag(call: MlflowCall) {
  const model = await live(call.app, modelIdParam(call));
  const key = (call.req.params as { tag_key?: string }).tag_key ?? '';
  const { [key]: gone, ...rest } = model.tags as Record<string, string>;
  if (gone === undefined) throw notFound(`Logged model ${model.id} has no tag with the key given.`);
  await repo.update(call.app.db.prisma, model.id, { tags: rest });
  return {};
}

/** Params are logged once each, as a run's: the same value again is fine, another is refused. */
async function logParams(call: MlflowCall) {
  const model = await live(call.app, modelIdParam(call));
  const before = model.params as Record<string, string>;
  const params = keyValues(call.input, 'params');
  for (const [key, value] of Object.entries(params)) {
    if (key in before && before[key] !== value) throw invalidParameter(`The param ${key.slice(0, 100)} of logged model ${model.id} was logged with another value; params cannot change.`);
  }
  await repo.update(call.app.db.prisma, model.id, { params: { ...before, ...params } });
  return {};
}

/** The value a search condition tests; run ids compare in MLflow's spelling. */
function field(m: repo.LoggedModel, c: Condition): string | undefined {
  if (c.key === 'tags') return (m.tags as Record<string, string>)[c.tag!];
  if (c.key === 'source_run_id') return m.sourceRunId ? hexRunId(m.sourceRunId) : undefined;
  if (c.key === 'model_id') return m.id;
  if (c.key === 'model_type') return m.modelType ?? undefined;
  return c.key === 'status' ? m.status : m.name;
}

const ORDER: Record<string, (m: repo.LoggedModel) => string | number> = {
  name: (m) => m.name,
  model_id: (m) => m.id,
  creation_timestamp: (m) => m.createdAt.getTime(),
  last_updated_timestamp: (m) => m.updatedAt.getTime(),
};

/** order_by: `{field_name, ascending}` messages over the attributes, then MLflow's default (newest first, then id). */
function orderOf(input: Fields): [string, boolean][] {
  const clauses = messages(input, 'order_by').map((o): [string, boolean] => {
    const key = requiredString(o, 'field_name').replace(/^creation_time$/, 'creation_timestamp').replace(/^last_updated_time$/, 'last_updated_timestamp');
    if (!(key in ORDER)) throw invalidParameter(`Invalid order_by field_name: order by one of ${Object.keys(ORDER).join(', ')}.`);
    return [key, o.ascending === false];
  });
  return [...clauses, ['creation_timestamp', true], ['model_id', false]];
}

/**
 * Live models of the experiments named, filtered (`name`, `model_id`, `source_run_id`,
 * `status`, `model_type`, `tags.<key>` with =, !=, LIKE, ILIKE, joined by AND) and sorted in
 * memory: an experiment holds as many logged models as runs that log them, hundreds at most.
 */
async function searchModels({ app, input }: MlflowCall) {
  const size = maxResults(input, SEARCH_PAGE, SEARCH_MAX);
  const offset = decodePageToken(input);
  const conditions = parseFilter(optionalString(input, 'filter'), ['name', 'model_id', 'source_run_id', 'status', 'model_type']);
  const order = orderOf(input);
  const projectIds = experimentIdsOf(input);
  if (!projectIds.length) return {};
  const matching = (await repo.liveOfProjects(app.db.prisma, projectIds)).filter((m) => conditions.every((c) => meets(field(m, c), c)));
  const sorted = matching.sort((a, b) => {
    for (const [key, desc] of order) {
      const [x, y] = [ORDER[key](a), ORDER[key](b)];
      if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
    }
    return 0;
  });
  const models = sorted.slice(offset, offset + size).map(loggedModelJson);
  return { ...(models.length ? { models } : {}), ...(offset + size < sorted.length ? { next_page_token: encodePageToken(offset + size) } : {}) };
}

/** runs/log-outputs: the run (live) output each model at a step. */
async function logOutputs({ app, input }: MlflowCall) {
  const run = await app.services.runs.get(runIdOf(input));
  if (run.deletedAt) throw errors.runDeleted(run.id);
  const outputs = messages(input, 'models').map((m) => ({ modelId: requiredString(m, 'model_id'), step: optionalInt64(m, 'step') ?? 0 }));
  for (const { modelId } of outputs) await live(app, modelId);
  for (const { modelId, step } of outputs) await repo.saveOutput(app.db.prisma, run.id, modelId, BigInt(step));
  return {};
}

export const loggedModelRoutes: readonly MlflowRoute[] = [
  { method: 'POST', path: '/logged-models', role: 'editor', handler: createModel },
  { method: 'POST', path: '/logged-models/search', role: 'viewer', handler: searchModels },
  { method: 'GET', path: '/logged-models/:model_id', role: 'viewer', handler: async (call) => answer(await live(call.app, modelIdParam(call))) },
  { method: 'PATCH', path: '/logged-models/:model_id', role: 'editor', handler: finalizeModel },
  {
    method: 'DELETE',
    path: '/logged-models/:model_id',
    role: 'editor',
    handler: async (call) => {
      const model = await live(call.app, modelIdParam(call));
      await repo.update(call.app.db.prisma, model.id, { deletedAt: new Date() });
      return {};
    },
  },
  { method: 'PATCH', path: '/logged-models/:model_id/tags', role: 'editor', handler: setTags },
  { method: 'DELETE', path: '/logged-models/:model_id/tags/:tag_key', role: 'editor', handler: deleteTag },
  { method: 'POST', path: '/logged-models/:model_id/params', role: 'editor', handler: logParams },
  { method: 'POST', path: '/runs/log-outputs', role: 'editor', handler: logOutputs },
];
