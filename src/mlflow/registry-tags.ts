import type { MlflowCall } from './routes.js';
import { required, versionNumber } from './registry-shapes.js';

/**
 * MLflow's tag endpoints of models and versions (`set_registered_model_tag`,
 * `set_model_version_tag`…), through the registry's tag editing: audited, and announced to
 * webhooks as TAGS_CHANGED. Deleting a tag that is not there changes nothing, as in MLflow.
 */

const value = (input: Record<string, unknown>) => (typeof input.value === 'string' ? input.value : required(input, 'value'));

export async function setModelTag({ input, actor, app }: MlflowCall) {
  await app.services.registry.setTags(actor, { model: required(input, 'name'), set: [{ key: required(input, 'key'), value: value(input) }] });
  return {};
}

export async function deleteModelTag({ input, actor, app }: MlflowCall) {
  await app.services.registry.setTags(actor, { model: required(input, 'name'), remove: [required(input, 'key')] });
  return {};
}

export async function setVersionTag({ input, actor, app }: MlflowCall) {
  await app.services.registry.setTags(actor, { model: required(input, 'name'), version: versionNumber(input), set: [{ key: required(input, 'key'), value: value(input) }] });
  return {};
}

export async function deleteVersionTag({ input, actor, app }: MlflowCall) {
  await app.services.registry.setTags(actor, { model: required(input, 'name'), version: versionNumber(input), remove: [required(input, 'key')] });
  return {};
}
