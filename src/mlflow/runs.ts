import type { App } from '../app.js';
import { errors } from '../errors.js';
import { isFinished } from '../runs/lifecycle.js';
import { MLFLOW_STATUS, MLFLOW_STATUSES, runInfoJson, runsJson } from './convert.js';
import { invalidParameter } from './errors.js';
import type { MlflowRoute } from './routes.js';
import { generatedRunName } from './run-names.js';
import { runFilterOf, runSortsOf } from './runs-filter.js';
import { splitCreateTags } from './run-tags.js';
import {
  decodePageToken,
  encodePageToken,
  enumField,
  experimentIdsOf,
  maxResults,
  messages,
  optionalInt64,
  optionalString,
  repeated,
  requiredString,
  requiredValue,
  runIdOf,
  type Fields,
} from './tracking-input.js';

/** MLflow's search returns at most this many runs a page (its SEARCH_MAX_RESULTS_THRESHOLD). */
const MAX_SEARCH_RESULTS = 50_000;
/** A time in ms that a JavaScript Date can hold (±8.64e15); MLflow's times are ms since 1970. */
const MAX_TIME = 8.64e15;
const VIEW = { ACTIVE_ONLY: 'ACTIVE', DELETED_ONLY: 'DELETED', ALL: 'ALL' } as const;

const oneRun = async (app: App, id: string) => (await runsJson(app, [await app.services.runs.get(id)]))[0];

function timeOf(input: Fields, field: string): Date | undefined {
  const ms = optionalInt64(input, field);
  if (ms === undefined) return undefined;
  if (ms < 0 || ms > MAX_TIME) throw invalidParameter(`Invalid value for parameter '${field}': must be milliseconds since 1970.`);
  return new Date(ms);
}

/**
 * A run created through MLflow starts RUNNING at its start_time, in the experiment named, with
 * kind `mlflow`; its creator is the caller's token (user_id and the mlflow.user tag the client
 * sends are not trusted). run_name and the mlflow.runName tag must agree, as MLflow requires; a
 * run given neither gets a generated name, as MLflow's server gives one.
 */
async function createRun({ app, input, actor }: { app: App; input: Fields; actor: { name: string } }) {
  const project = await app.services.projects.getActive(requiredString(input, 'experiment_id'));
  const tags = messages(input, 'tags').map((t) => ({ key: requiredString(t, 'key'), value: requiredValue(t, 'value') }));
  const { name: tagName, note, stored } = splitCreateTags(tags);
  const runName = optionalString(input, 'run_name') || undefined;
  if (runName && tagName && runName !== tagName) throw invalidParameter("Both 'run_name' and the 'mlflow.runName' tag are given, with different values.");
  const run = await app.services.runs.create({
    kind: 'mlflow',
    projectId: project.id,
    name: runName ?? tagName ?? generatedRunName(),
    note: note || null,
    tags: stored,
    createdBy: actor.name,
    status: 'RUNNING',
    startedAt: timeOf(input, 'start_time') ?? new Date(),
  });
  return { run: (await runsJson(app, [run]))[0] };
}

/**
 * A status change goes through tagfusion's run state machine: a finished run keeps its status
 * (asking for the same one again changes nothing; another is INVALID_STATE), and end_time is
 * recorded when this call finishes the run.
 */
async function updateRun(app: App, input: Fields) {
  const id = runIdOf(input);
  const before = await app.services.runs.get(id);
  if (before.deletedAt) throw errors.runDeleted(id);
  const runName = optionalString(input, 'run_name');
  if (runName) await app.services.tracking.rename(id, runName);
  if (optionalString(input, 'status')) {
    const moved = await app.services.runs.setStatus(id, MLFLOW_STATUS[enumField(input, 'status', MLFLOW_STATUSES, 'RUNNING')]);
    const endTime = timeOf(input, 'end_time');
    if (endTime && isFinished(moved.status) && !isFinished(before.status)) await app.services.tracking.setEndTime(id, endTime);
  }
  return { run_info: runInfoJson(await app.services.runs.get(id)) };
}

/** Runs of the experiments named, filtered and sorted as MLflow's grammar asks, a page at a time. */
async function searchRuns(app: App, input: Fields) {
  const first = maxResults(input, 1_000, MAX_SEARCH_RESULTS);
  const offset = decodePageToken(input);
  const filter = runFilterOf(optionalString(input, 'filter'));
  const sorts = runSortsOf(repeated(input, 'order_by'));
  const lifecycle = VIEW[enumField(input, 'run_view_type', ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const, 'ACTIVE_ONLY')];
  const projectIds = experimentIdsOf(input);
  if (!projectIds.length) return {};
  const page = await app.services.tracking.search({ ...filter, projectIds, lifecycle }, sorts, first, offset);
  const runs = await runsJson(app, page.runs);
  return { ...(runs.length ? { runs } : {}), ...(page.hasMore ? { next_page_token: encodePageToken(offset + first) } : {}) };
}

export const runRoutes: MlflowRoute[] = [
  { method: 'POST', path: '/runs/create', role: 'editor', handler: createRun },
  { method: 'GET', path: '/runs/get', role: 'viewer', handler: async ({ app, input }) => ({ run: await oneRun(app, runIdOf(input)) }) },
  { method: 'POST', path: '/runs/update', role: 'editor', handler: ({ app, input }) => updateRun(app, input) },
  { method: 'POST', path: '/runs/delete', role: 'editor', handler: async ({ app, input }) => void (await app.services.tracking.delete(runIdOf(input))) },
  { method: 'POST', path: '/runs/restore', role: 'editor', handler: async ({ app, input }) => void (await app.services.tracking.restore(runIdOf(input))) },
  { method: 'POST', path: '/runs/search', role: 'viewer', handler: ({ app, input }) => searchRuns(app, input) },
];
