import type { ModelVersion, RegisteredModel } from '../db/generated/client.js';
import { loggedModelSource } from '../logged-models/location.js';
import { tagsOf } from '../registry/input.js';
import type { AliasRow } from '../registry/repository.js';
import { invalidParameter } from './errors.js';
import { latestPerStage, stageOf } from './registry-stages.js';

/**
 * tagfusion's registry rows in model_registry.proto's JSON, as MLflow's server writes it
 * (message_to_json): snake_case, int64 timestamps as numbers in ms, versions as strings, and
 * unset fields and empty lists left out.
 */

type Json = Record<string, unknown>;

/** Drops what protobuf's JSON leaves out: unset (null, undefined) fields and empty lists. */
const proto = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && !v.length)));

const tagList = (json: unknown) => Object.entries(tagsOf(json)).map(([key, value]) => ({ key, value }));

/** MLflow's run id: the UUID without dashes. */
export const mlflowRunId = (runId: string) => runId.replace(/-/g, '');

/** Where a version's files are: its source, or for a tagfusion head the run it was trained in. */
export const sourceOf = (v: ModelVersion) => v.source ?? (v.runId ? `runs:/${mlflowRunId(v.runId)}` : null);

export function modelVersionJson(v: ModelVersion, modelName: string, aliases: string[]): Json {
  return proto({
    name: modelName,
    version: String(v.version),
    creation_timestamp: v.createdAt.getTime(),
    last_updated_timestamp: v.updatedAt.getTime(),
    user_id: v.createdBy,
    current_stage: stageOf(aliases),
    description: v.description,
    source: sourceOf(v),
    run_id: v.runId && mlflowRunId(v.runId),
    model_id: v.source ? loggedModelSource(v.source)?.modelId : undefined,
    status: 'READY',
    tags: tagList(v.tags),
    aliases,
  });
}

/** A registered model with the latest live version in each stage (./registry-stages.ts) and its aliases; `versions` newest first. */
export function registeredModelJson(m: RegisteredModel, versions: readonly ModelVersion[], aliases: AliasRow[]): Json {
  const aliasesOf = (v: ModelVersion) => aliases.filter((a) => a.versionId === v.id).map((a) => a.alias);
  return proto({
    name: m.name,
    creation_timestamp: m.createdAt.getTime(),
    last_updated_timestamp: m.updatedAt.getTime(),
    description: m.description,
    latest_versions: latestPerStage(versions, aliases).map((v) => modelVersionJson(v, m.name, aliasesOf(v))),
    tags: tagList(m.tags),
    aliases: aliases.map((a) => ({ alias: a.alias, version: String(a.version.version) })),
  });
}

/** A required string field; MLflow's message for a missing one. */
export function required(input: Json, field: string): string {
  const v = input[field];
  if (typeof v !== 'string' || v === '') throw invalidParameter(`Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`);
  return v;
}

/** An optional string field (absent: undefined). */
export function optional(input: Json, field: string): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidParameter(`Invalid value for parameter '${field}': it must be a string.`);
  return v;
}

/** A version number as MLflow sends it: a string of digits. */
export function versionNumber(input: Json, field = 'version'): number {
  const raw = required(input, field);
  const n = Number(raw);
  if (!/^\d{1,9}$/.test(raw) || n < 1) throw invalidParameter(`Invalid value for parameter '${field}': it must be a version number (1, 2, …).`);
  return n;
}

/** `tags: [{key, value}]`, as given (the registry checks their sizes). */
export function tagsInput(input: Json): { key: string; value: string }[] | undefined {
  const v = input.tags;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((t) => t && typeof t === 'object' && typeof t.key === 'string' && typeof (t.value ?? '') === 'string'))
    throw invalidParameter("Invalid value for parameter 'tags': it must be a list of {key, value} strings.");
  return v.map((t) => ({ key: t.key, value: t.value ?? '' }));
}
