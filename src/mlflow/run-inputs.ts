import { createHash } from 'node:crypto';
import { MAX_TAG_VALUE_LENGTH } from '../projects/input.js';
import { invalidParameter } from './errors.js';
import type { KeyValue } from './run-tags.js';
import { messages, optionalString, requiredString, requiredValue, type Fields } from './tracking-input.js';

/**
 * MLflow's run inputs (`runs/log-inputs`: the datasets a run used, each with tags such as
 * mlflow.data.context = training) are kept as run tags, one per dataset, named
 * `mlflow.datasetInput.<hash of name and digest>` and holding the input as JSON: a user sees
 * them among the run's tags in tagfusion, and `runs/get` gives them back as `inputs`. Logging
 * the same dataset again replaces it. A dataset's schema and profile (summaries that can be
 * long) are dropped when the whole would not fit a tag; model inputs are accepted and not kept.
 */
export const INPUT_TAG_PREFIX = 'mlflow.datasetInput.';

interface DatasetInput {
  tags?: KeyValue[];
  dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string };
}

function datasetInputOf(raw: Fields): DatasetInput {
  if (typeof raw.dataset !== 'object' || raw.dataset === null) throw invalidParameter("Missing value for required parameter 'datasets.dataset'.");
  const d = raw.dataset as Fields;
  const dataset = {
    name: requiredString(d, 'name'),
    digest: requiredString(d, 'digest'),
    source_type: requiredString(d, 'source_type'),
    source: requiredString(d, 'source'),
    schema: optionalString(d, 'schema'),
    profile: optionalString(d, 'profile'),
  };
  const tags = messages(raw, 'tags').map((t) => ({ key: requiredString(t, 'key'), value: requiredValue(t, 'value') }));
  return { ...(tags.length ? { tags } : {}), dataset };
}

/** The run tags that record `datasets` (MLflow's LogInputs.datasets). */
export function inputTagsOf(input: Fields): KeyValue[] {
  return messages(input, 'datasets').map((raw) => {
    const entry = datasetInputOf(raw);
    const { name, digest } = entry.dataset;
    const key = INPUT_TAG_PREFIX + createHash('sha256').update(`${name}\u0000${digest}`).digest('hex').slice(0, 16);
    let value = JSON.stringify(entry);
    if (value.length > MAX_TAG_VALUE_LENGTH) value = JSON.stringify({ ...entry, dataset: { ...entry.dataset, profile: undefined } });
    if (value.length > MAX_TAG_VALUE_LENGTH) value = JSON.stringify({ ...entry, dataset: { ...entry.dataset, profile: undefined, schema: undefined } });
    if (value.length > MAX_TAG_VALUE_LENGTH) throw invalidParameter(`The dataset input '${name.slice(0, 100)}' is too long: its name, source and tags must fit ${MAX_TAG_VALUE_LENGTH} characters.`);
    return { key, value };
  });
}

/** A run's tags as MLflow reports them: plain tags, and the dataset inputs they hold. */
export function splitInputTags(tags: KeyValue[]): { tags: KeyValue[]; datasetInputs: DatasetInput[] } {
  const plain: KeyValue[] = [];
  const datasetInputs: DatasetInput[] = [];
  for (const tag of tags) {
    if (!tag.key.startsWith(INPUT_TAG_PREFIX)) {
      plain.push(tag);
      continue;
    }
    try {
      datasetInputs.push(JSON.parse(tag.value) as DatasetInput);
    } catch {
      // a tag someone set by hand under this prefix: shown as the tag it is
      plain.push(tag);
    }
  }
  return { tags: plain, datasetInputs };
}
