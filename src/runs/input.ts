import { z } from 'zod';
import { finiteNumber, id, jsonObject, nonBlank, numberProblem, safeString, stringProblem } from '../util/input.js';
import { projectId, tagKey, tagValue } from '../projects/input.js';
import { flattenConfig, type ParamValue } from './params.js';

/** Run kinds are indexed: short words such as `train` or `sweep`. */
export const MAX_KIND_LENGTH = 100;
export const MAX_NAME_LENGTH = 200;
export const MAX_PARAM_KEY_LENGTH = 200;
/**
 * A param's text is indexed with its key; a btree row holds at most 2,704 bytes, so key (200
 * characters, up to 800 bytes) and value (1,500 bytes) always fit, whatever the characters.
 */
export const MAX_PARAM_VALUE_BYTES = 1_500;
export const MAX_METRIC_NAME_LENGTH = 200;
export const MAX_SPLIT_LENGTH = 100;
/** Metric values in one logMetrics call (bench/load.ts sends 1,000; a wide epoch a few thousand). */
export const MAX_METRICS_PER_CALL = 20_000;
export const MAX_ERROR_LENGTH = 10_000;
export const MAX_REASON_LENGTH = 1_000;
/** A run's Markdown note. */
export const MAX_NOTE_LENGTH = 100_000;
const INT32_MAX = 2 ** 31 - 1;

function paramProblem(value: unknown): string | null {
  if (typeof value === 'string') {
    const problem = stringProblem(value, Number.POSITIVE_INFINITY);
    if (problem) return problem;
    return Buffer.byteLength(value) > MAX_PARAM_VALUE_BYTES ? `must be at most ${MAX_PARAM_VALUE_BYTES} bytes (UTF-8)` : null;
  }
  if (typeof value === 'number') return numberProblem(value);
  return typeof value === 'boolean' ? null : 'must be a string, number or boolean';
}

/** key → string, number or boolean; a bad key is reported on the object, never echoed. */
const paramsSchema = z.record(z.string(), z.unknown(), { error: 'must be a JSON object of key → value' }).superRefine((params, ctx) => {
  for (const [key, value] of Object.entries(params)) {
    const keyProblem = key ? stringProblem(key, MAX_PARAM_KEY_LENGTH) : 'must not be empty';
    if (keyProblem) return void ctx.addIssue({ code: 'custom', message: `its keys ${keyProblem}` });
    const problem = paramProblem(value);
    if (problem) return void ctx.addIssue({ code: 'custom', message: problem, path: [key] });
  }
});

const newRun = z.object({
  kind: nonBlank(MAX_KIND_LENGTH),
  name: safeString(MAX_NAME_LENGTH).nullish(),
  datasetId: id().nullish(),
  parentId: id().nullish(),
  /** nested settings; flattened to dotted params (`optimizer.lr`) that the runs query filters by */
  config: jsonObject(MAX_PARAM_VALUE_BYTES).nullish(),
  seed: z.number().int().min(-INT32_MAX - 1).max(INT32_MAX).nullish(),
  params: paramsSchema.nullish(),
  /** the project it belongs to; Default (0) when absent */
  projectId: projectId.nullish(),
  tags: z.record(tagKey, tagValue).nullish(),
  note: safeString(MAX_NOTE_LENGTH).nullish(),
  /** who creates it: set by the service from the caller, never taken from input */
  createdBy: safeString(MAX_NAME_LENGTH).nullish(),
  /** when it started, for runs that begin RUNNING (MLflow's start_time) */
  startedAt: z.date().nullish(),
  status: z.enum(['QUEUED', 'RUNNING']).nullish(),
});

/** What `createRun` (and the server's own experiments) give to create a run; config and params are any JSON until checked. */
export type NewRunInput = Omit<z.input<typeof newRun>, 'config' | 'params'> & { config?: unknown; params?: unknown };

/**
 * A new run's fields with its params: the config flattened to dotted keys, then the explicit
 * params over them. Flattened config values must fit a param too, so they are checked as one.
 */
export const newRunInput = newRun.transform((r, ctx) => {
  const config = (r.config ?? {}) as Record<string, unknown>;
  const flat = paramsSchema.safeParse(flattenConfig(config));
  if (!flat.success) {
    const issue = flat.error.issues[0];
    ctx.addIssue({ code: 'custom', message: issue.message, path: ['config', ...issue.path] });
    return z.NEVER;
  }
  const params = { ...flat.data, ...(r.params ?? {}) } as Record<string, ParamValue>;
  return {
    kind: r.kind,
    name: r.name ?? null,
    datasetId: r.datasetId ?? null,
    parentId: r.parentId ?? null,
    config: config as object,
    seed: r.seed ?? null,
    params,
    projectId: r.projectId ?? 0,
    tags: r.tags ?? {},
    note: r.note ?? null,
    createdBy: r.createdBy ?? null,
    startedAt: r.startedAt ?? null,
    status: r.status ?? null,
  };
});

const share = () => z.number({ error: 'must be a number between 0 and 1' }).min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const count = () => z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must not be negative').max(INT32_MAX);

/** One epoch of metrics, as `logMetrics` and training jobs record it. */
export const epochInput = z.object({
  runId: id(),
  epoch: count(),
  // A split never holds '/': MLflow's flat key `split/name` must map back one to one (docs/MLFLOW.md).
  metrics: z
    .array(z.object({ name: nonBlank(MAX_METRIC_NAME_LENGTH), split: nonBlank(MAX_SPLIT_LENGTH).refine((s) => !s.includes('/'), "must not contain '/'"), value: finiteNumber() }))
    .max(MAX_METRICS_PER_CALL),
  classMetrics: z
    .array(
      z.object({
        split: nonBlank(MAX_SPLIT_LENGTH),
        classId: count(),
        precision: share(),
        recall: share(),
        f1: share(),
        accuracy: share(),
        support: count(),
      }),
    )
    .max(MAX_METRICS_PER_CALL),
});

/** `setRunStatus`'s text from a caller. */
export const statusInput = z.object({ id: id(), error: safeString(MAX_ERROR_LENGTH).nullish() });

/** `reopenRun`: which run, and why (kept in the audit log). */
export const reopenInput = z.object({ id: id(), reason: nonBlank(MAX_REASON_LENGTH) });

/** Setting one tag of a run. */
export const tagInput = z.object({ id: id(), key: tagKey, value: tagValue });
/** A run's Markdown note (null or '' removes it). */
export const noteInput = z.object({ id: id(), note: safeString(MAX_NOTE_LENGTH).nullish() });
