import type { LoggedModel } from '../logged-models/repository.js';
import { loggedModelUri } from '../logged-models/location.js';
import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH } from '../projects/input.js';
import { invalidParameter } from './errors.js';
import type { KeyValue } from './run-tags.js';
import { hexRunId, messages, requiredString, requiredValue, type Fields } from './tracking-input.js';

/**
 * MLflow 3's LoggedModel message (service.proto) as its server writes it in JSON: `info` with
 * the model's attributes and tags, `data` with its params; int64 times in ms; unset fields and
 * empty lists left out. Status is LoggedModelStatus by name.
 */

/** LoggedModelStatus in enum order (1, 2, 3; 0 is UNSPECIFIED, which no request may set). */
export const LOGGED_MODEL_STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const;

const pairs = (json: unknown) => Object.entries((json ?? {}) as Record<string, string>).map(([key, value]) => ({ key, value }));

export function loggedModelJson(m: LoggedModel) {
  const tags = pairs(m.tags);
  const params = pairs(m.params);
  return {
    info: {
      model_id: m.id,
      experiment_id: String(m.projectId),
      name: m.name,
      creation_timestamp_ms: m.createdAt.getTime(),
      last_updated_timestamp_ms: m.updatedAt.getTime(),
      artifact_uri: loggedModelUri(m.projectId, m.id),
      status: m.status,
      ...(m.modelType ? { model_type: m.modelType } : {}),
      ...(m.sourceRunId ? { source_run_id: hexRunId(m.sourceRunId) } : {}),
      ...(tags.length ? { tags } : {}),
    },
    data: params.length ? { params } : {},
  };
}

/**
 * A list of LoggedModelTag or LoggedModelParameter messages as a map, checked as MLflow checks
 * them: every key given once, keys and values within its tag limits.
 */
export function keyValues(input: Fields, field: 'tags' | 'params'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of messages(input, field).map((m): KeyValue => ({ key: requiredString(m, 'key'), value: requiredValue(m, 'value') }))) {
    if (key in out) throw invalidParameter(`Logged model ${field} must have unique keys: a key is given twice.`);
    if (key.length > MAX_TAG_KEY_LENGTH) throw invalidParameter(`A key in '${field}' is longer than ${MAX_TAG_KEY_LENGTH} characters.`);
    if (value.length > MAX_TAG_VALUE_LENGTH) throw invalidParameter(`A value in '${field}' is longer than ${MAX_TAG_VALUE_LENGTH} characters.`);
    out[key] = value;
  }
  return out;
}
