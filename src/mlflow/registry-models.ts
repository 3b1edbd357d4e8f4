import type { App } from '../app.js';
import type { RegisteredModel } from '../db/generated/client.js';
import { tagsOf } from '../registry/input.js';
import type { MlflowCall } from './routes.js';
import { maxResults, meets, page, pageOffset, parseFilter, parseOrderBy } from './registry-search.js';
import { modelVersionJson, optional, registeredModelJson, required, tagsInput, versionNumber } from './registry-shapes.js';

/**
 * MLflow's `registered-models/*` endpoints (model_registry.proto) over tagfusion's registry.
 * Every change goes through RegistryService, so protected aliases, promotion rules, the audit
 * log and webhooks apply as they do to GraphQL.
 */

/** The model tag through which an MLflow client consents to alias moves that change the signature. */
export const ALLOW_SIGNATURE_CHANGE_TAG = 'tagfusion.allow_signature_change';

/** Models in proto JSON, their versions and aliases read in two queries. */
async function modelsJson(app: App, models: RegisteredModel[]) {
  const ids = models.map((m) => m.id);
  const [versions, aliases] = await Promise.all([app.services.registry.versions(ids), app.services.registry.aliases(ids)]);
  return models.map((m) =>
    registeredModelJson(
      m,
      versions.filter((v) => v.modelId === m.id),
      aliases.filter((a) => a.modelId === m.id),
    ),
  );
}

const one = async (app: App, m: RegisteredModel) => ({ registered_model: (await modelsJson(app, [m]))[0] });

export async function createModel({ input, actor, app }: MlflowCall) {
  const m = await app.services.registry.lifecycle.createModel(actor, { name: required(input, 'name'), description: optional(input, 'description'), tags: tagsInput(input) });
  return one(app, m);
}

export async function getModel({ input, app }: MlflowCall) {
  return one(app, await app.services.registry.getModel(required(input, 'name')));
}

const MODEL_ORDER: Record<string, (m: RegisteredModel) => string | number> = {
  name: (m) => m.name,
  creation_timestamp: (m) => m.createdAt.getTime(),
  last_updated_timestamp: (m) => m.updatedAt.getTime(),
};

/** Sorts by the clauses, then by name ascending (MLflow's tiebreak). */
export function sortBy<T>(rows: T[], clauses: [string, boolean][], keys: Record<string, (r: T) => string | number>, tiebreak: [string, boolean][]): T[] {
  const all = [...clauses, ...tiebreak];
  return [...rows].sort((a, b) => {
    for (const [key, desc] of all) {
      const [x, y] = [keys[key](a), keys[key](b)];
      if (x !== y) return (x < y ? -1 : 1) * (desc ? -1 : 1);
    }
    return 0;
  });
}

export async function searchModels({ input, app }: MlflowCall) {
  const conditions = parseFilter(input.filter, ['name']);
  const order = parseOrderBy(input.order_by, Object.keys(MODEL_ORDER));
  const size = maxResults(input.max_results, 100, 1000);
  const offset = pageOffset(input.page_token);
  const matching = (await app.services.registry.allModels()).filter((m) => conditions.every((c) => meets(c.key === 'tags' ? tagsOf(m.tags)[c.tag!] : m.name, c)));
  const { rows, next } = page(sortBy(matching, order, MODEL_ORDER, [['name', false]]), offset, size);
  return { ...(rows.length ? { registered_models: await modelsJson(app, rows) } : {}), ...(next ? { next_page_token: next } : {}) };
}

export async function renameModel({ input, actor, app }: MlflowCall) {
  return one(app, await app.services.registry.lifecycle.renameModel(actor, required(input, 'name'), required(input, 'new_name')));
}

export async function updateModel({ input, actor, app }: MlflowCall) {
  const name = required(input, 'name');
  const description = optional(input, 'description');
  const { registry } = app.services;
  return one(app, description === undefined ? await registry.getModel(name) : await registry.lifecycle.describeModel(actor, name, description));
}

export async function deleteModel({ input, actor, app }: MlflowCall) {
  await app.services.registry.lifecycle.deleteModel(actor, required(input, 'name'));
  return {};
}

/**
 * Points an alias at a version, as `MlflowClient().set_registered_model_alias` does. MLflow has
 * no field for consent to a signature change, so the model's tag stands in for it (docs/MLFLOW.md).
 */
export async function setAlias({ input, actor, app }: MlflowCall) {
  const name = required(input, 'name');
  const alias = required(input, 'alias');
  const version = versionNumber(input);
  await app.services.registry.moveAlias(actor, { model: name, alias, version, allowSignatureChange: await allowsSignatureChange(app, name) });
  return {};
}

/** Whether the model's tag consents to alias moves that change the signature. */
export async function allowsSignatureChange(app: App, model: string): Promise<boolean> {
  return tagsOf((await app.services.registry.getModel(model)).tags)[ALLOW_SIGNATURE_CHANGE_TAG] === 'true';
}

export async function deleteAlias({ input, actor, app }: MlflowCall) {
  await app.services.registry.deleteAlias(actor, required(input, 'name'), required(input, 'alias'));
  return {};
}

export async function getVersionByAlias({ input, app }: MlflowCall) {
  const name = required(input, 'name');
  const { registry } = app.services;
  const v = await registry.getVersion(name, { alias: required(input, 'alias') });
  const aliases = (await registry.aliases([v.modelId])).filter((a) => a.versionId === v.id).map((a) => a.alias);
  return { model_version: modelVersionJson(v, name, aliases) };
}
