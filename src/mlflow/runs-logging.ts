import type { App } from '../app.js';
import type { MetricPoint } from '../runs/points.js';
import { invalidParameter } from './errors.js';
import { metricKey, parseMetricKey } from './metric-key.js';
import type { MlflowRoute } from './routes.js';
import { inputTagsOf } from './run-inputs.js';
import { deleteRunTag, setRunTags, type KeyValue } from './run-tags.js';
import {
  decodePageToken,
  encodePageToken,
  jsonDouble,
  messages,
  optionalInt64,
  requiredDouble,
  requiredInt64,
  requiredString,
  requiredValue,
  runIdOf,
  type Fields,
} from './tracking-input.js';

/** MLflow's log-batch limits (validation.py: MAX_METRICS_PER_BATCH, MAX_PARAMS_TAGS_PER_BATCH, MAX_ENTITIES_PER_BATCH). */
export const BATCH_LIMITS = { metrics: 1_000, params: 100, tags: 100, total: 1_000 };
/** Points a metrics/get-history page holds when the client names no max_results. */
const HISTORY_PAGE = 1_000_000;

/** One Metric message as a point: its flat key as (name, split), step 0 when not given. */
function pointOf(m: Fields): MetricPoint {
  return { ...parseMetricKey(requiredString(m, 'key')), value: requiredDouble(m, 'value'), timestamp: requiredInt64(m, 'timestamp'), step: optionalInt64(m, 'step') ?? 0 };
}

const keyValue = (m: Fields): KeyValue => ({ key: requiredString(m, 'key'), value: requiredValue(m, 'value') });

/** Params are logged once each (a changed value is INVALID_PARAMETER_VALUE, as MLflow); only open runs take them. */
const logParams = (app: App, runId: string, params: KeyValue[]) => (params.length ? app.services.tracking.logParams(runId, params) : undefined);
/** Metric points go through the write gate: SERVER_BUSY (503, which MLflow's client retries) when too many wait. */
const logPoints = (app: App, runId: string, points: MetricPoint[]) => (points.length ? app.services.tracking.logPoints(runId, points) : undefined);

/**
 * log-batch: MLflow's limits are checked before anything is written; then params, tags and
 * metrics are written in that order (MLflow too may keep part of a batch that fails).
 */
async function logBatch(app: App, input: Fields): Promise<void> {
  const runId = runIdOf(input);
  const [rawMetrics, rawParams, rawTags] = [messages(input, 'metrics'), messages(input, 'params'), messages(input, 'tags')];
  const over = (n: number, what: string, max: number) =>
    invalidParameter(`A batch logging request can contain at most ${max} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`);
  if (rawMetrics.length > BATCH_LIMITS.metrics) throw over(rawMetrics.length, 'metrics', BATCH_LIMITS.metrics);
  if (rawParams.length > BATCH_LIMITS.params) throw over(rawParams.length, 'params', BATCH_LIMITS.params);
  if (rawTags.length > BATCH_LIMITS.tags) throw over(rawTags.length, 'tags', BATCH_LIMITS.tags);
  const total = rawMetrics.length + rawParams.length + rawTags.length;
  if (total > BATCH_LIMITS.total) {
    throw invalidParameter(`A batch logging request can contain at most ${BATCH_LIMITS.total} metrics, params, and tags in total. Got ${total} in total. Please split up entities across multiple requests and try again.`);
  }
  const [points, params, tags] = [rawMetrics.map(pointOf), rawParams.map(keyValue), rawTags.map(keyValue)];
  await logParams(app, runId, params);
  if (tags.length) await setRunTags(app, runId, tags);
  await logPoints(app, runId, points);
}

/** metrics/get-history: every point of one metric in (step, time) order, a page at a time. */
async function metricHistory(app: App, input: Fields) {
  const runId = runIdOf(input);
  await app.services.runs.get(runId);
  const key = requiredString(input, 'metric_key');
  const max = optionalInt64(input, 'max_results');
  if (max !== undefined && (max < 1 || max > HISTORY_PAGE)) throw invalidParameter(`Invalid value for request parameter max_results. It must be between 1 and ${HISTORY_PAGE}.`);
  const first = max ?? HISTORY_PAGE;
  const offset = decodePageToken(input);
  const { name, split } = parseMetricKey(key);
  const points = await app.services.tracking.history(runId, name, split, first + 1, offset);
  const metrics = points.slice(0, first).map((p) => ({ key: metricKey(p.name, p.split), value: jsonDouble(p.value), timestamp: p.timestamp, step: p.step }));
  return { ...(metrics.length ? { metrics } : {}), ...(points.length > first ? { next_page_token: encodePageToken(offset + first) } : {}) };
}

export const loggingRoutes: MlflowRoute[] = [
  {
    method: 'POST',
    path: '/runs/log-metric',
    role: 'editor',
    handler: async ({ app, input }) => void (await logPoints(app, runIdOf(input), [pointOf(input)])),
  },
  {
    method: 'POST',
    path: '/runs/log-parameter',
    role: 'editor',
    handler: async ({ app, input }) => void (await logParams(app, runIdOf(input), [keyValue(input)])),
  },
  { method: 'POST', path: '/runs/log-batch', role: 'editor', handler: ({ app, input }) => logBatch(app, input) },
  {
    method: 'POST',
    path: '/runs/set-tag',
    role: 'editor',
    handler: async ({ app, input }) => setRunTags(app, runIdOf(input), [keyValue(input)]),
  },
  {
    method: 'POST',
    path: '/runs/delete-tag',
    role: 'editor',
    handler: async ({ app, input }) => deleteRunTag(app, runIdOf(input), requiredString(input, 'key')),
  },
  {
    method: 'POST',
    path: '/runs/log-inputs',
    role: 'editor',
    handler: async ({ app, input }) => {
      const runId = runIdOf(input);
      const tags = inputTagsOf(input);
      if (tags.length) await app.services.tracking.setTags(runId, tags);
      else await app.services.runs.get(runId);
    },
  },
  { method: 'GET', path: '/metrics/get-history', role: 'viewer', handler: ({ app, input }) => metricHistory(app, input) },
];
